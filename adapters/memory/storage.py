"""Every write below finishes without awaiting, so each is atomic on the event loop, just as the
SQL adapter's statements are atomic in their transaction."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from application.ports import (
    PrincipalFinder,
    SessionStore,
    StorageProbe,
    UnitOfWork,
    UserRepository,
)
from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.session import IssuedRefreshToken, Session
from domain.user import NewUser, Principal, User
from domain.values import Email, PasswordHash, Username


@dataclass
class InMemoryStorage:
    users: dict[int, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, IssuedRefreshToken] = field(default_factory=dict)
    next_user_id: int = 1

    def delete_user(self, user_id: int) -> None:
        """What ON DELETE CASCADE does in SQL: the user's sessions and tokens go too."""
        self.users.pop(user_id, None)
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

    def _taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        users = self._storage.users.values()
        return (
            any(u.username.key == username.key for u in users),
            any(u.email.key == email.key for u in users),
        )


class InMemoryPrincipalFinder(PrincipalFinder):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def find(self, user_id: int, session_id: str, now: datetime) -> Principal | None:
        user = self._storage.users.get(user_id)
        session = self._storage.sessions.get(session_id)
        if user is None or session is None or session.user_id != user_id:
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
        self._storage.sessions[session.id] = replace(current, generation=current.generation + 1)
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

    async def purge(self, now: datetime) -> int:
        ended = [s.id for s in self._storage.sessions.values() if not s.is_live(now)]
        for session_id in ended:
            self._storage.delete_session(session_id)
        tokens = self._storage.refresh_tokens
        for digest in [d for d, t in tokens.items() if t.expires_at <= now]:
            del tokens[digest]
        return len(ended)
