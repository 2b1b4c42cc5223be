"""Who is behind an access token, by the token and by the database as it is now."""

from application.common.errors import AccessTokenInvalid, AccessTokenMissing
from application.ports.access_tokens import AccessTokenVerifier
from application.ports.clock import Clock
from application.ports.sessions import PrincipalFinder
from domain.user import Principal


class IdentifyCaller:
    def __init__(
        self, verifier: AccessTokenVerifier, principals: PrincipalFinder, clock: Clock
    ) -> None:
        self._verifier = verifier
        self._principals = principals
        self._clock = clock

    async def __call__(self, access_token: str | None) -> Principal:
        if not access_token:
            raise AccessTokenMissing
        claims = self._verifier.verify(access_token)
        principal = await self._principals.find(
            claims.user_id, claims.session_id, self._clock.now()
        )
        if principal is None:
            raise AccessTokenInvalid
        return principal
