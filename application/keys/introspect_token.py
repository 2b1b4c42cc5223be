"""POST /api/auth/introspect (RFC 7662): whether a token is live now, for a service that must see
a sign-out, a disabled account or a revoked key at once rather than at the token's `exp`. The
answer is the one /api/test/user would give: the same verification, the same authorization
query."""

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from application.common.errors import AccessTokenExpired, AccessTokenInvalid, UnauthorizedClient
from application.ports.access_tokens import AccessClaims, AccessTokenVerifier
from application.ports.clock import Clock
from application.ports.sessions import PrincipalFinder
from application.ports.users import UserRepository
from domain.roles import Role, in_canonical_order


@dataclass(frozen=True, slots=True)
class IntrospectionClients:
    """INTROSPECTION_CLIENTS: the services that may ask, by name and secret."""

    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)

    def authenticate(self, name: str, secret: str) -> bool:
        expected = self.secrets.get(name)
        # Compared in constant time, and compared even for an unknown name.
        matches = hmac.compare_digest(secret.encode(), (expected or "\0" + secret).encode())
        return expected is not None and matches


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    name: str
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Introspection:
    active: bool
    claims: AccessClaims | None = None
    username: str | None = None
    roles: list[Role] = field(default_factory=list)


INACTIVE = Introspection(active=False)


class IntrospectToken:
    def __init__(
        self,
        clients: IntrospectionClients,
        verifier: AccessTokenVerifier,
        principals: PrincipalFinder,
        users: UserRepository,
        clock: Clock,
    ) -> None:
        self._clients = clients
        self._verifier = verifier
        self._principals = principals
        self._users = users
        self._clock = clock

    def authenticate(self, client: ClientCredentials | None) -> None:
        """Raises UnauthorizedClient unless `client` is listed with that secret."""
        if client is None or not self._clients.authenticate(client.name, client.secret):
            raise UnauthorizedClient

    async def execute(self, client: ClientCredentials | None, token: str | None) -> Introspection:
        """Raises UnauthorizedClient; any token that is not live now is inactive, for whatever
        reason (RFC 7662 tells the client nothing more)."""
        self.authenticate(client)
        if not token:
            return INACTIVE
        try:
            claims = await self._verifier.verify(token)
        except (AccessTokenExpired, AccessTokenInvalid):
            return INACTIVE
        principal = await self._principals.find(
            claims.user_id, claims.session_id, self._clock.now(), claims.key_id
        )
        if principal is None:
            return INACTIVE
        user = await self._users.get(principal.user_id)
        if user is None:
            return INACTIVE
        return Introspection(True, claims, user.username.value, in_canonical_order(principal.roles))
