"""The interfaces the use cases need from the outside world; adapters implement them."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.outcomes import RefreshOutcome, SigninOutcome
from domain.attempts import Limit, Tally
from domain.audit import AuditEvent, AuditEventType
from domain.one_time_token import IssuedOneTimeToken
from domain.roles import Role
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

    async def get(self, user_id: int) -> User | None: ...

    async def search(self, search: "UserSearch") -> list[User]:
        """Users matching every filter given, ordered by id, with ids above `after_id`."""
        ...

    async def set_roles(self, user_id: int, roles: frozenset[Role]) -> None: ...

    async def set_disabled(self, user_id: int, disabled: bool) -> None: ...

    async def delete(self, user_id: int) -> None:
        """The user's sessions and refresh tokens go with it."""
        ...

    async def record_signin(self, user_id: int, at: datetime) -> None: ...

    async def hold_administrators(self) -> None:
        """Makes this unit of work the only one changing who administers until it ends.

        The first statement of every administrative change: it writes one guard row, so on
        MySQL concurrent changes queue on its lock, on SQLite on the write lock, and on a
        multi-primary cluster one of two concurrent changes fails certification and runs again.
        """
        ...

    async def keep_another_administrator(self, user_id: int) -> bool:
        """Whether an enabled administrator other than `user_id` exists, decided by the
        database in a conditional write on the guard row; call `hold_administrators` first."""
        ...

    async def find_by_email(self, email: Email) -> User | None:
        """Case-insensitively, as uniqueness is decided."""
        ...

    async def mark_email_verified(self, user_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class UserSearch:
    prefix: str | None = None
    """Matches the start of a username or email, ignoring case."""
    role: Role | None = None
    disabled: bool | None = None
    after_id: int = 0
    limit: int = 50


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

    async def live_sessions(self, user_id: int, now: datetime) -> list[Session]:
        """The user's sessions that are neither revoked nor expired, newest first."""
        ...

    async def revoke_of_user(self, user_id: int, session_id: str, at: datetime) -> bool:
        """Ends the session if it is live and the user's; whether it did."""
        ...

    async def revoke_all_of_user(self, user_id: int, at: datetime, keep: str | None = None) -> int:
        """Ends every live session of the user but `keep`; how many ended."""
        ...

    async def purge(self, now: datetime) -> int:
        """Deletes ended sessions and expired refresh tokens, and the expired attempt tallies kept
        in the same storage; returns how many sessions went."""
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


class OneTimeTokenStore(Protocol):
    """Mailed single-use tokens, kept as digests only."""

    async def replace(self, token: IssuedOneTimeToken) -> None:
        """Stores the token as the only one of its user and purpose: older ones die. So the
        store holds at most one token per user and purpose, and needs no purging. (A password
        change needs no call here: it changes what reset tokens are bound to; see
        `domain.one_time_token`.)"""
        ...

    async def find(self, digest: str) -> IssuedOneTimeToken | None: ...

    async def consume(self, token: IssuedOneTimeToken) -> bool:
        """Deletes the token and every other of its user and purpose. False (and nothing
        changed) when the token was already gone: a concurrent use got there first."""
        ...


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    text: str = field(repr=False)
    """The plain-text part; it holds the link as it is, for clients that show no HTML."""
    html: str = field(repr=False)


class Mailer(Protocol):
    async def send(self, message: MailMessage) -> None:
        """Hands the message to the mail system now; raises MailNotSent when it could not."""
        ...


class OutgoingMail(Protocol):
    def post(self, message: MailMessage) -> None:
        """Accepts the message for delivery in the background and returns at once: a slow or
        absent mail server never holds up or fails a request. Call it only after the
        transaction that made the message true has committed."""
        ...


class PasswordResetRequests(Protocol):
    def submit(self, email: Email) -> None:
        """Takes a reset request off the request path: the look-up, the token and the mail
        happen afterwards, so the answer takes the same time whether or not the address is
        registered."""
        ...


@dataclass(frozen=True, slots=True)
class AttemptsReserved:
    """What `AttemptCounter.reserve` decided."""

    admitted: bool
    """True: every limit let the attempt go ahead, and it is counted on every key."""
    tallies: Mapping[str, Tally]
    """The live tallies the decision was made on, before this attempt; a key without one is
    left out."""


class AttemptCounter(Protocol):
    """Tallies of attempts for the rate limits, shared by every worker and server that shares the
    storage. Writes belong to the caller's unit of work where the storage has transactions."""

    async def tallies(self, keys: Sequence[str], now: datetime) -> Mapping[str, Tally]:
        """The live tallies of these keys; a key without one is left out."""
        ...

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        """Takes a place for one attempt on every key at once, before the attempt's costly work:
        if every key's limit lets an attempt go ahead at `now` (`Limit.wait` is zero), counts one
        on each as `Limit.counted` says; if any holds, counts none. Read, decision and count are
        one atomic step for the keys together: of concurrent reservations, from any process,
        exactly as many are admitted as the limits allow. The keys are taken in one fixed order,
        so that reservations sharing keys cannot deadlock.

        A refusal may leave provisional writes in the caller's unit of work: the caller rolls it
        back (and commits an admitted one at once, so that every other process sees it)."""
        ...

    async def release(self, keys: Sequence[str], now: datetime, forget: Sequence[str] = ()) -> None:
        """Gives back one reserved attempt on each of `keys` whose tally is still live at `now`
        (never below zero; a tally that expired is left as it is, and never made live again),
        and forgets the tallies of `forget` altogether; all in one atomic
        update taking the keys in the same fixed order as `reserve`."""
        ...

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        """Counts one attempt on `key` as `limit.counted` says, in one atomic update whose result
        does not depend on an earlier read: concurrent attempts, from any process, all count."""
        ...


class CommonPasswords(Protocol):
    def __contains__(self, password: str) -> bool:
        """Whether the password is on a list of commonly used ones, ignoring case."""
        ...


@dataclass(frozen=True, slots=True)
class AuditSearch:
    user_id: int | None = None
    type: AuditEventType | None = None
    before_id: int | None = None
    limit: int = 50


class AuditTrail(Protocol):
    """Append-only: events are added in the unit of work of the change they record, so one
    exists exactly when its change was committed; only the retention purge removes them."""

    async def record(self, event: AuditEvent) -> None: ...

    async def search(self, search: AuditSearch) -> list[AuditEvent]:
        """Matching events, newest first, with ids below `before_id`."""
        ...

    async def purge(self, before: datetime) -> int:
        """Deletes events older than `before`; how many went."""
        ...
