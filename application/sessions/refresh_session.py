from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import (
    RefreshTokenExpired,
    RefreshTokenMissing,
    RefreshTokenReused,
    RefreshTokenUnknown,
    StorageConflict,
)
from application.common.outcomes import RefreshOutcome
from application.ports.access_tokens import AccessToken, AccessTokenIssuer
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.sessions import RefreshTokenSuccession, SessionStore
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.rate_limits import Attempt
from application.shared.session_policy import SessionPolicy
from application.shared.throttle import Throttle
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.session import RefreshToken, RefreshVerdict, Session, judge_refresh

# Successors followed from a token retired within the grace window to the live one: one for a
# lost answer or a second tab, more only if a client rotated several times within the window.
_MAX_HOPS = 8
# Refused without counting against the session: the address's count takes them.
_REFUSED = (RefreshVerdict.ENDED, RefreshVerdict.EXPIRED)


@dataclass(frozen=True, slots=True)
class RefreshSessionRequest:
    refresh_token: str | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class RefreshSessionResponse:
    access_token: AccessToken
    refresh_token: RefreshToken


class RefreshSession:
    """Trades a refresh token for a new access token and the token's successor (rotation).

    The successor is derived from the token, so every request presenting one token within the
    grace window (two tabs at once, a retry after a lost answer) gets the same successor: only
    a token presented after the window is taken as leaked.

    Refreshes are limited per address (checked first; unknown and expired tokens count too) and
    per session (checked once the token's session is found)."""

    def __init__(
        self,
        identify: IdentifyCaller,
        sessions: SessionStore,
        succession: RefreshTokenSuccession,
        issuer: AccessTokenIssuer,
        clock: Clock,
        policy: SessionPolicy,
        transactions: Transactions,
        metrics: Metrics,
        throttle: Throttle,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._sessions = sessions
        self._succession = succession
        self._issuer = issuer
        self._clock = clock
        self._policy = policy
        self._transactions = transactions
        self._metrics = metrics
        self._throttle = throttle
        self._audit = audit

    async def execute(self, request: RefreshSessionRequest) -> RefreshSessionResponse:
        if not request.refresh_token:
            raise RefreshTokenMissing
        presented = RefreshToken(request.refresh_token)
        from_address = self._throttle.policy.refresh(self._identify.client)
        await self._throttle.check(from_address)
        try:
            outcome, answer = await self._transactions.run(
                lambda: self._refresh(presented, from_address, self._identify.client)
            )
        except (RefreshTokenUnknown, RefreshTokenExpired):
            self._metrics.refresh(RefreshOutcome.REFUSED)
            await self._throttle.count_alone(from_address, self._transactions)
            raise
        self._metrics.refresh(outcome)
        if answer is None:
            # The revocation is committed; only now is the reuse answered as an error.
            raise RefreshTokenReused
        return answer

    async def _refresh(
        self, presented: RefreshToken, from_address: tuple[Attempt, ...], client: Client
    ) -> tuple[RefreshOutcome, RefreshSessionResponse | None]:
        """The answer, or None when the token was reused and its session is now revoked."""
        token = presented
        for _ in range(_MAX_HOPS):
            found = await self._sessions.find_by_refresh_digest(token.digest)
            if found is None:
                raise RefreshTokenUnknown
            record, session = found
            now = self._clock.now()
            verdict = judge_refresh(record, session, now, self._policy.reuse_grace)
            if token is presented and verdict not in _REFUSED:
                of_session = self._throttle.policy.refresh_of_session(session.id)
                await self._throttle.check(of_session)
                await self._throttle.count((*from_address, *of_session))
            match verdict:
                case RefreshVerdict.ENDED:
                    raise RefreshTokenUnknown
                case RefreshVerdict.EXPIRED:
                    raise RefreshTokenExpired
                case RefreshVerdict.REUSED:
                    await self._sessions.revoke(session.id, now)
                    await self._audit.record(
                        AuditEventType.REFRESH_REUSE,
                        client,
                        user_id=session.user_id,
                        actor_id=None,
                        detail={"session": session.id},
                    )
                    return RefreshOutcome.REUSE, None
                case RefreshVerdict.ROTATE if token is presented:
                    return await self._rotate(session, token)
                case RefreshVerdict.ROTATE:
                    # The live successor of a token retired moments ago: the same answer the
                    # request that rotated it got.
                    return RefreshOutcome.RETRY, await self._answer(session, token)
                case RefreshVerdict.RETRY:
                    token = self._succession.successor(token)
        raise RefreshTokenUnknown

    async def _rotate(
        self, session: Session, token: RefreshToken
    ) -> tuple[RefreshOutcome, RefreshSessionResponse]:
        now = self._clock.now()
        if not self._policy.rotation:
            return RefreshOutcome.KEEP, await self._answer(session, token)
        successor = self._succession.successor(token)
        record = session.refresh_record(successor, now, self._policy.refresh_token_lifetime)
        if not await self._sessions.rotate(session, now, record):
            # Another request rotated this token first: the next run reads that rotation and
            # answers with the same successor.
            raise StorageConflict("the session was rotated by a concurrent request")
        return RefreshOutcome.ROTATE, await self._answer(session, successor)

    async def _answer(
        self, session: Session, refresh_token: RefreshToken
    ) -> RefreshSessionResponse:
        access = await self._issuer.issue(session.user_id, session.id, self._clock.now())
        return RefreshSessionResponse(access_token=access, refresh_token=refresh_token)
