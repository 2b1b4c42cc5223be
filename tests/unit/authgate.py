"""Every use case as the production container wires it (`entrypoints.ioc`), on in-memory
storage, with test providers in place of the clock, the hasher and, where a test asks, other ports.
Each call runs in a request scope of its own, as an HTTP request does."""

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec
from dishka import AsyncContainer, Provider, Scope, provide

from adapters.jwt_tokens import JwtAccessTokens
from adapters.key_ring import KeyRing
from adapters.memory import InMemoryStorage, InMemoryUnitOfWork
from adapters.signing_keys import KeySealer
from application.access.authorize_access import AuthorizeAccess
from application.accounts.register_user import RegisterUser, RegisterUserRequest
from application.admin.create_administrator import CreateAdministrator
from application.common.client import UNKNOWN_CLIENT, Client
from application.operations.purge_sessions import PurgeSessions
from application.ports.caller import Caller
from application.ports.passwords import PasswordHasher
from application.ports.storage import UnitOfWork
from application.sessions.authenticate_user import (
    AuthenticateUser,
    AuthenticateUserRequest,
    AuthenticateUserResponse,
)
from application.sessions.refresh_session import RefreshSession
from application.sessions.sign_out import SignOut
from application.shared.authorization import Resource
from application.shared.identify_caller import NOBODY, KnownCaller
from domain.roles import Role
from domain.session import IssuedRefreshToken, Session
from domain.signing_keys import signing_key
from domain.user import Principal, User
from entrypoints.ioc import build_container
from entrypoints.ioc.sessions import session_policy
from entrypoints.settings import MEMORY_DATABASE_URL, Settings
from tests.fakes import ClockProvider, FakeClock
from tests.tokens import OTHER_SECRET, TEST_SECRET, es256_signed, signed, verified_claims

PASSWORD = "correct horse battery"
# Short lifetimes, so that a test reaches every expiry by moving the clock less than an hour.
SETTINGS = Settings.of(
    database_url=MEMORY_DATABASE_URL,
    jwt_secret=TEST_SECRET,
    access_token_ttl=3600,
    refresh_token_ttl=600,
    session_ttl=1800,
    refresh_reuse_grace=5,
    bcrypt_cost=4,
    db_retry_backoff=0,
    # The throttles have tests of their own; these count the use cases' own units of work.
    rate_limits=False,
)
POLICY = session_policy(SETTINGS.tokens)
ACCESS_TOKEN_LIFETIME = timedelta(seconds=SETTINGS.tokens.access_token_ttl)

_P = ParamSpec("_P")
_R = TypeVar("_R")


class PerRequest(Generic[_P, _R]):
    """A use case's `execute`, resolved from a new request scope on every call."""

    def __init__(
        self,
        container: AsyncContainer,
        use_case: type[Any],
        execute: Callable[Concatenate[Any, _P], Awaitable[_R]],
        caller: Caller = NOBODY,
    ) -> None:
        self._container = container
        self._use_case = use_case
        self._execute = execute
        self._caller = caller

    def by(
        self, access_token: str | None = None, client: Client = UNKNOWN_CLIENT
    ) -> "PerRequest[_P, _R]":
        """The same use case, called with this access token from this client."""
        caller = KnownCaller(client, access_token)
        return PerRequest(self._container, self._use_case, self._execute, caller)

    async def execute(self, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        async with self._container(context={Caller: self._caller}) as request:
            use_case = await request.get(self._use_case)
            return await self._execute(use_case, *args, **kwargs)


class TestPorts(Provider):
    """The storage shared by every request of a test, a unit of work that counts its commits,
    and the hasher the test chose."""

    def __init__(
        self, storage: InMemoryStorage, unit_of_work: InMemoryUnitOfWork, hasher: PasswordHasher
    ) -> None:
        super().__init__()
        self._storage = storage
        self._unit_of_work = unit_of_work
        self._hasher = hasher

    @provide(scope=Scope.APP)
    def storage(self) -> InMemoryStorage:
        return self._storage

    @provide(scope=Scope.REQUEST)
    def unit_of_work(self) -> UnitOfWork:
        return self._unit_of_work

    @provide(scope=Scope.APP)
    def hasher(self) -> PasswordHasher:
        return self._hasher


class Authgate:
    def __init__(
        self,
        container: AsyncContainer,
        storage: InMemoryStorage,
        uow: InMemoryUnitOfWork,
        clock: FakeClock,
        hasher: PasswordHasher,
        tokens: JwtAccessTokens,
    ) -> None:
        self.container = container
        self.storage = storage
        self.uow = uow
        self.clock = clock
        self.hasher = hasher
        self.tokens = tokens
        self.policy = POLICY
        self.register = PerRequest(container, RegisterUser, RegisterUser.execute)
        self.authenticate = PerRequest(container, AuthenticateUser, AuthenticateUser.execute)
        self.authorize = PerRequest(container, AuthorizeAccess, AuthorizeAccess.execute)
        self.refresh = PerRequest(container, RefreshSession, RefreshSession.execute)
        self.sign_out = PerRequest(container, SignOut, SignOut.execute)
        self.purge = PerRequest(container, PurgeSessions, PurgeSessions.execute)
        self.create_administrator = PerRequest(
            container, CreateAdministrator, CreateAdministrator.execute
        )

    @classmethod
    async def start(
        cls,
        clock: FakeClock,
        hasher: PasswordHasher,
        *overrides: Provider,
        storage: InMemoryStorage | None = None,
        settings: Settings = SETTINGS,
    ) -> "Authgate":
        storage = storage or InMemoryStorage()
        uow = InMemoryUnitOfWork()
        container = build_container(
            settings, ClockProvider(clock), TestPorts(storage, uow, hasher), *overrides
        )
        tokens = await container.get(JwtAccessTokens)
        # As a worker's start does (entrypoints/http/app.py): the key ring read, the first key
        # made (in a unit of work of the ring's own, which the test's counts leave out).
        await (await container.get(KeyRing)).read()
        return cls(container, storage, uow, clock, hasher, tokens)

    async def close(self) -> None:
        await self.container.close()

    async def signup(
        self,
        username: str = "alice",
        *,
        email: str | None = None,
        password: str = PASSWORD,
        roles: list[str] | None = None,
        access_token: str | None = None,
    ) -> int:
        request = RegisterUserRequest(
            username=username,
            email=email or f"{username}@example.com",
            password=password,
            roles=roles,
        )
        return (await self.register.by(access_token).execute(request)).user_id

    async def signin(
        self, username: str = "alice", password: str = PASSWORD
    ) -> AuthenticateUserResponse:
        return await self.authenticate.execute(AuthenticateUserRequest(username, password))

    async def signed_in(
        self, username: str = "alice", roles: Iterable[Role] | None = None
    ) -> AuthenticateUserResponse:
        """Registers the user, sets its roles straight in storage, and signs in."""
        user_id = await self.signup(username)
        if roles is not None:
            self.set_roles(user_id, roles)
        return await self.signin(username)

    async def access(
        self, access_token: str | None, resource: Resource = Resource.USER_CONTENT
    ) -> Principal:
        return await self.authorize.by(access_token).execute(resource)

    def user(self, user_id: int) -> User:
        return self.storage.users[user_id]

    def set_roles(self, user_id: int, roles: Iterable[Role]) -> None:
        self.storage.users[user_id] = replace(self.user(user_id), roles=frozenset(roles))

    def session_of(self, access_token: str) -> Session:
        """The session a token the service issued names, read as another service would."""
        return self.storage.sessions[verified_claims(access_token, self.jwks())["sid"]]

    def jwks(self) -> dict[str, Any]:
        """Every public key storage holds (revoked ones aside), as a key set."""
        keys = self.storage.signing_keys.values()
        return {"keys": [json.loads(s.public_jwk) for s in keys if s.key.revoked_at is None]}

    def forge(self, claims: dict[str, Any]) -> str:
        """`claims` signed as the service signs, but with another key (under the current
        key's `kid`), or another secret."""
        if self.tokens.algorithm == "HS256":
            return signed(claims, OTHER_SECRET)
        current = signing_key((s.key for s in self.storage.signing_keys.values()), self.clock.now())
        assert current is not None, "no key signs yet: sign a user in first"
        return es256_signed(claims, ec.generate_private_key(ec.SECP256R1()), current.kid)

    def sign(self, claims: dict[str, Any]) -> str:
        """`claims` signed as the service signs: ES256 with its current key, or HS256."""
        if self.tokens.algorithm == "HS256":
            return signed(claims)
        current = signing_key((s.key for s in self.storage.signing_keys.values()), self.clock.now())
        assert current is not None, "no key signs yet: sign a user in first"
        sealed = self.storage.signing_keys[current.kid].sealed_private_key
        return es256_signed(claims, KeySealer(TEST_SECRET).open(current.kid, sealed), current.kid)

    def live_refresh_tokens(self, session_id: str) -> list[IssuedRefreshToken]:
        return [
            token
            for token in self.storage.refresh_tokens.values()
            if token.session_id == session_id and token.rotated_at is None
        ]
