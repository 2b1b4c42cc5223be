from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import AccessTokenExpired, AccessTokenInvalid
from application.ports.access_tokens import AccessTokenVerifier
from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.session import digest_of


@dataclass(frozen=True, slots=True)
class SignOutRequest:
    refresh_token: str | None = field(default=None, repr=False)


class SignOut:
    """Ends the session a token belongs to. A missing or bad token is not an error: signing out
    must always let the client forget its state."""

    def __init__(
        self,
        identify: IdentifyCaller,
        verifier: AccessTokenVerifier,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._verifier = verifier
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: SignOutRequest) -> bool:
        """Whether the request named a session, which is now ended if it was not already."""
        named = await self._session_of(request)
        if named is None:
            return False
        session_id, user_id = named
        await self._transactions.run(lambda: self._end(session_id, user_id, self._identify.client))
        return True

    async def _end(self, session_id: str, user_id: int, client: Client) -> None:
        await self._sessions.revoke(session_id, self._clock.now())
        await self._audit.record(
            AuditEventType.SIGNOUT,
            client,
            user_id=user_id,
            actor_id=user_id,
            detail={"session": session_id},
        )

    async def _session_of(self, request: SignOutRequest) -> tuple[str, int] | None:
        """The session named and its user."""
        if access_token := self._identify.presented_token:
            try:
                # An expired access token still names its session, and that session may be live.
                claims = await self._verifier.verify(access_token, allow_expired=True)
            except (AccessTokenExpired, AccessTokenInvalid):
                pass
            else:
                return claims.session_id, claims.user_id
        if request.refresh_token:
            found = await self._sessions.find_by_refresh_digest(digest_of(request.refresh_token))
            if found is not None:
                return found[1].id, found[1].user_id
        return None
