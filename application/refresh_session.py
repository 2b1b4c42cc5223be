from dataclasses import dataclass, field

from application.errors import (
    RefreshContended,
    RefreshTokenExpired,
    RefreshTokenMissing,
    RefreshTokenReused,
    RefreshTokenUnknown,
)
from application.ports import AccessToken, AccessTokenIssuer, Clock, SessionStore, UnitOfWork
from application.session_policy import SessionPolicy
from domain.session import (
    RefreshToken,
    RefreshVerdict,
    digest_of,
    judge_refresh,
)

# Each lost attempt means another request rotated the same token a moment ago; a few retries
# settle any realistic race (a client's two tabs), without looping forever under a flood.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class RefreshSessionRequest:
    refresh_token: str | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class RefreshSessionResponse:
    access_token: AccessToken
    refresh_token: RefreshToken


class RefreshSession:
    """Trades a refresh token for a new access token and a new refresh token (rotation)."""

    def __init__(
        self,
        sessions: SessionStore,
        issuer: AccessTokenIssuer,
        clock: Clock,
        policy: SessionPolicy,
        uow: UnitOfWork,
    ) -> None:
        self._sessions = sessions
        self._issuer = issuer
        self._clock = clock
        self._policy = policy
        self._uow = uow

    async def execute(self, request: RefreshSessionRequest) -> RefreshSessionResponse:
        if not request.refresh_token:
            raise RefreshTokenMissing
        digest = digest_of(request.refresh_token)
        for _ in range(_ATTEMPTS):
            found = await self._sessions.find_by_refresh_digest(digest)
            if found is None:
                raise RefreshTokenUnknown
            token, session = found
            now = self._clock.now()
            match judge_refresh(token, session, now, self._policy.reuse_grace):
                case RefreshVerdict.ENDED:
                    raise RefreshTokenUnknown
                case RefreshVerdict.EXPIRED:
                    raise RefreshTokenExpired
                case RefreshVerdict.REUSED:
                    await self._sessions.revoke(session.id, now)
                    await self._uow.commit()
                    raise RefreshTokenReused
                case RefreshVerdict.ROTATE | RefreshVerdict.RETRY:
                    next_token, record = session.issue_refresh_token(
                        now, self._policy.refresh_token_lifetime
                    )
                    if await self._sessions.rotate(session, now, record):
                        await self._uow.commit()
                        return RefreshSessionResponse(
                            access_token=self._issuer.issue(session.user_id, session.id, now),
                            refresh_token=next_token,
                        )
        raise RefreshContended
