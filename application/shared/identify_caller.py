"""Who is calling: the one way a use case learns it. By the token, and by the database as it is
now."""

from dataclasses import dataclass, field

from application.common.client import UNKNOWN_CLIENT, Client
from application.common.errors import AccessTokenInvalid, AccessTokenMissing
from application.ports.access_tokens import AccessTokenVerifier
from application.ports.caller import Caller
from application.ports.clock import Clock
from application.ports.sessions import PrincipalFinder
from application.shared.authorization import Resource, require
from domain.user import Principal


@dataclass(frozen=True, slots=True)
class KnownCaller:
    """A caller known before any request: the operator, background work, a test."""

    client: Client = UNKNOWN_CLIENT
    access_token: str | None = field(default=None, repr=False)
    is_operator: bool = False

    def identified(self, user_id: int) -> None:
        """Nothing outside a request records whom it acted for."""


OPERATOR = KnownCaller(is_operator=True)
"""The command line."""
NOBODY = KnownCaller()
"""Work that no request started: a periodic purge, a mail sent in the background."""


class IdentifyCaller:
    def __init__(
        self,
        caller: Caller,
        verifier: AccessTokenVerifier,
        principals: PrincipalFinder,
        clock: Clock,
    ) -> None:
        self._caller = caller
        self._verifier = verifier
        self._principals = principals
        self._clock = clock

    @property
    def client(self) -> Client:
        return self._caller.client

    @property
    def presented_token(self) -> str | None:
        """The access token as presented, unchecked: for sign-out, which accepts an expired
        one."""
        return self._caller.access_token

    @property
    def is_operator(self) -> bool:
        return self._caller.is_operator

    async def __call__(self) -> Principal:
        """The signed-in caller; raises AccessTokenMissing, AccessTokenExpired or
        AccessTokenInvalid."""
        access_token = self._caller.access_token
        if not access_token:
            raise AccessTokenMissing
        claims = await self._verifier.verify(access_token)
        principal = await self._principals.find(
            claims.user_id, claims.session_id, self._clock.now(), claims.key_id
        )
        if principal is None:
            raise AccessTokenInvalid
        self._caller.identified(principal.user_id)
        return principal

    async def authorize(self, resource: Resource) -> Principal:
        """The signed-in caller, if it may see `resource`; raises RoleRequired if not."""
        return require(await self(), resource)
