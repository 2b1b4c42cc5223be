"""Fakes and wiring for the unit tests: every use case on in-memory storage, with the real JWT
adapter and a bcrypt hasher at the minimum cost."""

import asyncio
import base64
import json
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.jwt_tokens import JwtAccessTokens
from adapters.memory import (
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemoryStorage,
    InMemoryUnitOfWork,
    InMemoryUserRepository,
)
from application.authenticate_user import (
    AuthenticateUser,
    AuthenticateUserRequest,
    AuthenticateUserResponse,
)
from application.authorize_access import AuthorizeAccess, AuthorizeAccessRequest, Resource
from application.create_administrator import CreateAdministrator
from application.identify_caller import IdentifyCaller
from application.ports import PasswordHasher, SessionStore
from application.purge_sessions import PurgeSessions
from application.refresh_session import RefreshSession
from application.register_user import RegisterUser, RegisterUserRequest
from application.session_policy import SessionPolicy
from application.sign_out import SignOut
from domain.roles import Role
from domain.session import IssuedRefreshToken, Session
from domain.user import Principal, User
from domain.values import PasswordHash, RawPassword

TEST_SECRET = b"unit tests sign access tokens with this HS256 secret"
OTHER_SECRET = b"a different secret, just as long as the real one"
PASSWORD = "correct horse battery"
BCRYPT_COST = 4
ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
# Short lifetimes, so a test reaches every expiry by moving the clock less than an hour.
POLICY = SessionPolicy(
    refresh_token_lifetime=timedelta(minutes=10),
    session_lifetime=timedelta(minutes=30),
    reuse_grace=timedelta(seconds=5),
)


class FakeClock:
    """A clock the test moves by hand.

    It starts an hour behind the wall clock because PyJWT checks `exp` and `iat` against the wall
    clock, not against this one: tokens issued by this clock (with the two-hour lifetime above)
    then stay valid while a test moves it forward by up to an hour.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> None:
        self._now += by


class CountingHasher:
    """Passes every call to a real hasher and counts them."""

    def __init__(self, inner: PasswordHasher) -> None:
        self._inner = inner
        self.hashes = 0
        self.verifications = 0

    async def hash(self, password: RawPassword) -> PasswordHash:
        self.hashes += 1
        return await self._inner.hash(password)

    async def verify(self, password: str, stored: PasswordHash | None) -> bool:
        self.verifications += 1
        return await self._inner.verify(password, stored)

    def needs_rehash(self, stored: PasswordHash) -> bool:
        return self._inner.needs_rehash(stored)


class YieldingSessionStore:
    """Lets other tasks run before every storage call, as a database round trip would, so that
    concurrent refreshes really interleave."""

    def __init__(self, inner: SessionStore) -> None:
        self._inner = inner

    async def start(self, session: Session, first_token: IssuedRefreshToken) -> None:
        await asyncio.sleep(0)
        await self._inner.start(session, first_token)

    async def find_by_refresh_digest(
        self, digest: str
    ) -> tuple[IssuedRefreshToken, Session] | None:
        await asyncio.sleep(0)
        return await self._inner.find_by_refresh_digest(digest)

    async def rotate(
        self, session: Session, retired_at: datetime, next_token: IssuedRefreshToken
    ) -> bool:
        await asyncio.sleep(0)
        return await self._inner.rotate(session, retired_at, next_token)

    async def revoke(self, session_id: str, at: datetime) -> None:
        await asyncio.sleep(0)
        await self._inner.revoke(session_id, at)

    async def purge(self, now: datetime) -> int:
        await asyncio.sleep(0)
        return await self._inner.purge(now)


class Authgate:
    """Every use case wired to one in-memory storage, as the composition root wires them to SQL."""

    def __init__(
        self,
        clock: FakeClock,
        hasher: PasswordHasher,
        tokens: JwtAccessTokens,
        *,
        storage: InMemoryStorage | None = None,
        policy: SessionPolicy = POLICY,
    ) -> None:
        self.storage = storage or InMemoryStorage()
        self.uow = InMemoryUnitOfWork()
        self.clock = clock
        self.hasher = hasher
        self.tokens = tokens
        self.policy = policy
        users = InMemoryUserRepository(self.storage)
        self.sessions = InMemorySessionStore(self.storage)
        self.identify = IdentifyCaller(tokens, InMemoryPrincipalFinder(self.storage), clock)
        self.register = RegisterUser(users, hasher, self.identify, self.uow)
        self.authenticate = AuthenticateUser(
            users, hasher, self.sessions, tokens, clock, policy, self.uow
        )
        self.authorize = AuthorizeAccess(self.identify)
        self.refresh = RefreshSession(self.sessions, tokens, clock, policy, self.uow)
        self.sign_out = SignOut(tokens, self.sessions, clock, self.uow)
        self.purge = PurgeSessions(self.sessions, clock, self.uow)
        self.create_administrator = CreateAdministrator(users, hasher, self.uow)

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
            access_token=access_token,
        )
        return (await self.register.execute(request)).user_id

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
        return await self.authorize.execute(AuthorizeAccessRequest(access_token, resource))

    def user(self, user_id: int) -> User:
        return self.storage.users[user_id]

    def set_roles(self, user_id: int, roles: Iterable[Role]) -> None:
        self.storage.users[user_id] = replace(self.user(user_id), roles=frozenset(roles))

    def session_of(self, access_token: str) -> Session:
        return self.storage.sessions[self.tokens.verify(access_token).session_id]

    def live_refresh_tokens(self, session_id: str) -> list[IssuedRefreshToken]:
        return [
            token
            for token in self.storage.refresh_tokens.values()
            if token.session_id == session_id and token.rotated_at is None
        ]


def claims_for(user_id: int, session_id: str, issued_at: datetime) -> dict[str, Any]:
    """The claims JwtAccessTokens puts in a token, for tests that craft tokens by hand."""
    iat = int(issued_at.timestamp())
    return {
        "sub": str(user_id),
        "sid": session_id,
        "iat": iat,
        "exp": iat + int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "jti": "0123456789abcdef",
    }


def signed(claims: dict[str, Any], secret: bytes = TEST_SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        # An attacker signing HS512 with the HS256 secret does not care that it is short for it.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=algorithm)


def unsigned(claims: dict[str, Any]) -> str:
    """An `alg: none` token, built by hand as an attacker would."""
    header = {"alg": "none", "typ": "JWT"}
    return f"{_base64url(header)}.{_base64url(claims)}."


def with_payload(token: str, claims: dict[str, Any]) -> str:
    """The token with its payload swapped and its original signature kept."""
    header, _, signature = token.split(".")
    return f"{header}.{_base64url(claims)}.{signature}"


def _base64url(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="session")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-bcrypt") as pool:
        yield pool


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hasher(executor: ThreadPoolExecutor) -> BcryptPasswordHasher:
    return BcryptPasswordHasher(BCRYPT_COST, executor)


@pytest.fixture
def tokens() -> JwtAccessTokens:
    return JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME)


@pytest.fixture
def authgate(clock: FakeClock, hasher: BcryptPasswordHasher, tokens: JwtAccessTokens) -> Authgate:
    return Authgate(clock, hasher, tokens)
