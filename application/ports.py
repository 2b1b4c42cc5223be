"""The interfaces the use cases need from the outside world; adapters implement them."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.outcomes import RefreshOutcome, SigninOutcome
from domain.session import IssuedRefreshToken, RefreshToken, Session
from domain.user import NewUser, Principal, User
from domain.values import Email, PasswordHash, RawPassword, Username


class UnitOfWork(Protocol):
    """The transaction every repository of one request shares.

    Storage adapters raise StorageUnavailable when the database cannot answer within the request's
    deadline, and StorageConflict for a transient refusal that a new run may not meet; see
    `application.transactions`."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None:
        """Forgets everything since the last commit; the repositories may be used again."""
        ...


class StorageProbe(Protocol):
    async def ping(self) -> None:
        """Returns once storage answers a trivial query; raises StorageUnavailable when it cannot
        within the request's deadline."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class UserRepository(Protocol):
    async def add(self, user: NewUser) -> User:
        """Stores the user with its roles at once.

        Raises UsernameAlreadyExists or EmailAlreadyExists (case-insensitively), as the storage's
        unique indexes decide, so that concurrent signups cannot both win.
        """
        ...

    async def find_by_username(self, username: Username) -> User | None: ...

    async def find_taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        """Whether the username and the email are in use, in one look-up."""
        ...

    async def set_password_hash(self, user_id: int, password_hash: PasswordHash) -> None: ...


class PrincipalFinder(Protocol):
    async def find(self, user_id: int, session_id: str, now: datetime) -> Principal | None:
        """The user's current roles if the user exists and the session is live; one round trip."""
        ...


class SessionStore(Protocol):
    async def start(self, session: Session, first_token: IssuedRefreshToken) -> None: ...

    async def find_by_refresh_digest(
        self, digest: str
    ) -> tuple[IssuedRefreshToken, Session] | None:
        """The token and its session, locked against concurrent rotation where storage can."""
        ...

    async def rotate(
        self, session: Session, retired_at: datetime, next_token: IssuedRefreshToken
    ) -> bool:
        """Retires every live token of the session and stores `next_token` as the only live one.

        Happens only if the session is unrevoked and still at `session.generation`; returns False
        (changing nothing) when a concurrent rotation or revocation got there first.
        """
        ...

    async def revoke(self, session_id: str, at: datetime) -> None: ...

    async def purge(self, now: datetime) -> int:
        """Deletes ended sessions and expired refresh tokens; returns how many sessions went."""
        ...


class RefreshTokenSuccession(Protocol):
    def successor(self, token: RefreshToken) -> RefreshToken:
        """The token that replaces `token` when it is rotated: the same every time for the same
        token, so that concurrent refreshes with one token all get one successor, and impossible
        to compute without the server's key, so that a leaked retired token does not reveal the
        live one."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: RawPassword) -> PasswordHash: ...

    async def verify(self, password: str, stored: PasswordHash | None) -> bool:
        """Whether the password matches. With no stored hash it still spends one verification and
        answers False, so an unknown user costs as much time as a wrong password."""
        ...

    def needs_rehash(self, stored: PasswordHash) -> bool:
        """True when the hash was made with other parameters than the configured ones."""
        ...


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_id: str


class AccessTokenIssuer(Protocol):
    def issue(self, user_id: int, session_id: str, now: datetime) -> AccessToken: ...


class AccessTokenVerifier(Protocol):
    def verify(self, token: str, *, allow_expired: bool = False) -> AccessClaims:
        """Raises AccessTokenExpired or AccessTokenInvalid."""
        ...


class Metrics(Protocol):
    """Counts of what the use cases decided, kept in one place for operators (GET /metrics)."""

    def signin(self, outcome: SigninOutcome) -> None: ...

    def refresh(self, outcome: RefreshOutcome) -> None: ...

    def throttled(self, limit: str) -> None:
        """An attempt refused by the named rate limit."""
        ...

    def hashing_wait(self, seconds: float) -> None:
        """How long a password hashing or verification waited for a free hashing thread."""
        ...

    def unavailable(self, kind: str) -> None:
        """A request refused as temporarily unavailable (503), by `TemporarilyUnavailable.kind`:
        the database's timeout, pool, unreachable, error or conflict, or hashing."""
        ...
