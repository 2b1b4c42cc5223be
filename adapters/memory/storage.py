"""Every write below finishes without awaiting, so each is atomic on the event loop, just as the
SQL adapter's statements are atomic in their transaction."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from application.ports.attempts import AttemptCounter, AttemptsReserved
from application.ports.audit import AuditSearch, AuditTrail
from application.ports.mail import OneTimeTokenStore
from application.ports.sessions import PrincipalFinder, SessionStore
from application.ports.storage import StorageProbe, UnitOfWork
from application.ports.user_listing import UserReader, UserSearch, UserSummary
from application.ports.users import UserRepository
from domain.attempts import Limit, Tally
from domain.audit import AuditEvent
from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.one_time_token import IssuedOneTimeToken, TokenPurpose
from domain.roles import Role
from domain.session import IssuedRefreshToken, Session
from domain.user import NewUser, Principal, User
from domain.values import Email, PasswordHash, Username


@dataclass
class InMemoryStorage:
    users: dict[int, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, IssuedRefreshToken] = field(default_factory=dict)
    one_time_tokens: dict[str, IssuedOneTimeToken] = field(default_factory=dict)
    attempts: dict[str, Tally] = field(default_factory=dict)
    audit_events: list[AuditEvent] = field(default_factory=list)
    next_user_id: int = 1
    next_audit_id: int = 1

    def delete_user(self, user_id: int) -> None:
        """What ON DELETE CASCADE does in SQL: the user's sessions and tokens go too."""
        self.users.pop(user_id, None)
        for digest in [d for d, t in self.one_time_tokens.items() if t.user_id == user_id]:
            del self.one_time_tokens[digest]
        for session_id in [s.id for s in self.sessions.values() if s.user_id == user_id]:
            self.delete_session(session_id)

    def delete_session(self, session_id: str) -> None:
        del self.sessions[session_id]
        for digest in [d for d, t in self.refresh_tokens.items() if t.session_id == session_id]:
            del self.refresh_tokens[digest]


class InMemoryUnitOfWork(UnitOfWork):
    """Writes take effect at once; there is no conflict to retry and nothing to undo, because no
    use case writes and then fails in the same unit of work."""

    def __init__(self) -> None:
        self.commits = 0
        self.rollbacks = 0

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        self.rollbacks += 1


class InMemoryStorageProbe(StorageProbe):
    """Memory answers as long as the process does."""

    async def ping(self) -> None:
        return None


class InMemoryUserRepository(UserRepository):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def add(self, user: NewUser) -> User:
        username_taken, email_taken = self._taken(user.username, user.email)
        if username_taken:
            raise UsernameAlreadyExists
        if email_taken:
            raise EmailAlreadyExists
        stored = User(
            id=self._storage.next_user_id,
            username=user.username,
            email=user.email,
            password_hash=user.password_hash,
            roles=user.roles,
            created_at=user.created_at,
        )
        self._storage.users[stored.id] = stored
        self._storage.next_user_id += 1
        return stored

    async def find_by_username(self, username: Username) -> User | None:
        return next(
            (u for u in self._storage.users.values() if u.username.key == username.key), None
        )

    async def find_taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        return self._taken(username, email)

    async def set_password_hash(self, user_id: int, password_hash: PasswordHash) -> None:
        user = self._storage.users[user_id]
        self._storage.users[user_id] = replace(user, password_hash=password_hash)

    async def get(self, user_id: int) -> User | None:
        return self._storage.users.get(user_id)

    async def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        self._replace(user_id, roles=roles)

    async def set_disabled(self, user_id: int, disabled: bool) -> None:
        self._replace(user_id, disabled=disabled)

    async def delete(self, user_id: int) -> None:
        self._storage.delete_user(user_id)

    async def record_signin(self, user_id: int, at: datetime) -> None:
        self._replace(user_id, last_signin_at=at)

    async def hold_administrators(self) -> None:
        """Nothing to hold: a unit of work here never yields to another between its awaits."""

    async def keep_another_administrator(self, user_id: int) -> bool:
        return any(
            user.is_enabled_administrator and user.id != user_id
            for user in self._storage.users.values()
        )

    def _replace(self, user_id: int, **changes: object) -> None:
        user = self._storage.users.get(user_id)
        if user is not None:
            self._storage.users[user_id] = replace(user, **changes)  # type: ignore[arg-type]

    async def find_by_email(self, email: Email) -> User | None:
        return next((u for u in self._storage.users.values() if u.email.key == email.key), None)

    async def mark_email_verified(self, user_id: int) -> None:
        user = self._storage.users.get(user_id)
        if user is not None:
            self._storage.users[user_id] = replace(user, email_verified=True)

    def _taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        users = self._storage.users.values()
        return (
            any(u.username.key == username.key for u in users),
            any(u.email.key == email.key for u in users),
        )


class InMemoryUserReader(UserReader):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def search(self, search: UserSearch) -> list[UserSummary]:
        found = [
            _summary_of(user)
            for user_id, user in sorted(self._storage.users.items())
            if user_id > search.after_id and _matches(user, search)
        ]
        return found[: search.limit]


def _summary_of(user: User) -> UserSummary:
    return UserSummary(
        id=user.id,
        username=user.username,
        email=user.email,
        roles=user.roles,
        created_at=user.created_at,
        disabled=user.disabled,
        email_verified=user.email_verified,
        last_signin_at=user.last_signin_at,
    )


def _matches(user: User, search: UserSearch) -> bool:
    if search.prefix is not None and not (
        user.username.key.startswith(search.prefix) or user.email.key.startswith(search.prefix)
    ):
        return False
    if search.role is not None and search.role not in user.roles:
        return False
    return search.disabled is None or user.disabled == search.disabled


class InMemoryPrincipalFinder(PrincipalFinder):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def find(self, user_id: int, session_id: str, now: datetime) -> Principal | None:
        user = self._storage.users.get(user_id)
        session = self._storage.sessions.get(session_id)
        if user is None or session is None or session.user_id != user_id or user.disabled:
            return None
        if not session.is_live(now):
            return None
        return Principal(user_id=user.id, session_id=session.id, roles=user.roles)


class InMemorySessionStore(SessionStore):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def start(self, session: Session, first_token: IssuedRefreshToken) -> None:
        self._storage.sessions[session.id] = session
        self._storage.refresh_tokens[first_token.digest] = first_token

    async def find_by_refresh_digest(
        self, digest: str
    ) -> tuple[IssuedRefreshToken, Session] | None:
        token = self._storage.refresh_tokens.get(digest)
        if token is None:
            return None
        return token, self._storage.sessions[token.session_id]

    async def rotate(
        self, session: Session, retired_at: datetime, next_token: IssuedRefreshToken
    ) -> bool:
        current = self._storage.sessions.get(session.id)
        if current is None or current.revoked_at is not None:
            return False
        if current.generation != session.generation:
            return False
        self._storage.sessions[session.id] = replace(
            current, generation=current.generation + 1, last_used_at=retired_at
        )
        tokens = self._storage.refresh_tokens
        for digest, token in tokens.items():
            if token.session_id == session.id and token.rotated_at is None:
                tokens[digest] = replace(token, rotated_at=retired_at)
        tokens[next_token.digest] = next_token
        return True

    async def revoke(self, session_id: str, at: datetime) -> None:
        session = self._storage.sessions.get(session_id)
        if session is not None and session.revoked_at is None:
            self._storage.sessions[session_id] = replace(session, revoked_at=at)

    async def live_sessions(self, user_id: int, now: datetime) -> list[Session]:
        live = [s for s in self._storage.sessions.values() if s.user_id == user_id]
        return sorted((s for s in live if s.is_live(now)), key=lambda s: s.created_at, reverse=True)

    async def revoke_of_user(self, user_id: int, session_id: str, at: datetime) -> bool:
        session = self._storage.sessions.get(session_id)
        if session is None or session.user_id != user_id or not session.is_live(at):
            return False
        self._storage.sessions[session_id] = replace(session, revoked_at=at)
        return True

    async def revoke_all_of_user(self, user_id: int, at: datetime, keep: str | None = None) -> int:
        ending = [
            s
            for s in self._storage.sessions.values()
            if s.user_id == user_id and s.id != keep and s.revoked_at is None
        ]
        for session in ending:
            self._storage.sessions[session.id] = replace(session, revoked_at=at)
        return len(ending)

    async def purge(self, now: datetime) -> int:
        ended = [s.id for s in self._storage.sessions.values() if not s.is_live(now)]
        for session_id in ended:
            self._storage.delete_session(session_id)
        tokens = self._storage.refresh_tokens
        for digest in [d for d, t in tokens.items() if t.expires_at <= now]:
            del tokens[digest]
        attempts = self._storage.attempts
        for key in [k for k, tally in attempts.items() if not tally.is_live(now)]:
            del attempts[key]
        return len(ended)


class InMemoryOneTimeTokenStore(OneTimeTokenStore):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def replace(self, token: IssuedOneTimeToken) -> None:
        self._forget(token.user_id, token.purpose)
        self._storage.one_time_tokens[token.digest] = token

    async def find(self, digest: str) -> IssuedOneTimeToken | None:
        return self._storage.one_time_tokens.get(digest)

    async def consume(self, token: IssuedOneTimeToken) -> bool:
        if self._storage.one_time_tokens.pop(token.digest, None) is None:
            return False
        self._forget(token.user_id, token.purpose)
        return True

    def _forget(self, user_id: int, purpose: TokenPurpose) -> None:
        tokens = self._storage.one_time_tokens
        for digest in [
            d for d, t in tokens.items() if t.user_id == user_id and t.purpose is purpose
        ]:
            del tokens[digest]


class InMemoryAttemptCounter(AttemptCounter):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def tallies(self, keys: Sequence[str], now: datetime) -> Mapping[str, Tally]:
        return self._live(keys, now)

    def _live(self, keys: Sequence[str] | Mapping[str, Limit], now: datetime) -> dict[str, Tally]:
        found = {key: self._storage.attempts.get(key) for key in keys}
        return {key: tally for key, tally in found.items() if tally and tally.is_live(now)}

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        attempts = self._storage.attempts
        attempts[key] = limit.counted(attempts.get(key), now)

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        # No await from the read to the last write: one step of the event loop.
        live = self._live(limits, now)
        admitted = all(
            limit.wait(live.get(key), now) <= timedelta(0) for key, limit in limits.items()
        )
        if admitted:
            for key, limit in limits.items():
                self._storage.attempts[key] = limit.counted(live.get(key), now)
        return AttemptsReserved(admitted, live)

    async def release(self, keys: Sequence[str], now: datetime, forget: Sequence[str] = ()) -> None:
        attempts = self._storage.attempts
        for key in keys:
            tally = attempts.get(key)
            if tally is not None and tally.is_live(now) and tally.count > 0:
                attempts[key] = replace(tally, count=tally.count - 1)
        for key in forget:
            attempts.pop(key, None)


class InMemoryAuditTrail(AuditTrail):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def record(self, event: AuditEvent) -> None:
        self._storage.audit_events.append(replace(event, id=self._storage.next_audit_id))
        self._storage.next_audit_id += 1

    async def search(self, search: AuditSearch) -> list[AuditEvent]:
        found = [
            event
            for event in reversed(self._storage.audit_events)
            if (search.before_id is None or (event.id or 0) < search.before_id)
            and (search.user_id is None or event.user_id == search.user_id)
            and (search.type is None or event.type == search.type)
        ]
        return found[: search.limit]

    async def purge(self, before: datetime) -> int:
        events = self._storage.audit_events
        kept = [event for event in events if event.at >= before]
        purged = len(events) - len(kept)
        events[:] = kept
        return purged
