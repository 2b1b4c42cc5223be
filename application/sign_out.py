from dataclasses import dataclass, field

from application.client import UNKNOWN_CLIENT, Client
from application.errors import AccessTokenExpired, AccessTokenInvalid
from application.ports import AccessTokenVerifier, Clock, SessionStore
from application.transactions import Transactions
from domain.session import digest_of


@dataclass(frozen=True, slots=True)
class SignOutRequest:
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client: Client = UNKNOWN_CLIENT


class SignOut:
    """Ends the session a token belongs to. A missing or bad token is not an error: signing out
    must always let the client forget its state."""

    def __init__(
        self,
        verifier: AccessTokenVerifier,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
    ) -> None:
        self._verifier = verifier
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions

    async def execute(self, request: SignOutRequest) -> bool:
        """Whether the request named a session, which is now ended if it was not already."""
        session_id = await self._session_of(request)
        if session_id is None:
            return False
        await self._transactions.run(lambda: self._sessions.revoke(session_id, self._clock.now()))
        return True

    async def _session_of(self, request: SignOutRequest) -> str | None:
        if request.access_token:
            try:
                # An expired access token still names its session, and that session may be live.
                return self._verifier.verify(request.access_token, allow_expired=True).session_id
            except (AccessTokenExpired, AccessTokenInvalid):
                pass
        if request.refresh_token:
            found = await self._sessions.find_by_refresh_digest(digest_of(request.refresh_token))
            if found is not None:
                return found[1].id
        return None
