"""What every in-memory adapter shares: the one store they all read and write, as the SQL
adapters share a database, and its unit of work. Every write in these adapters finishes without
awaiting, so each is atomic on the event loop, just as the SQL adapter's statements are atomic in
their transaction."""

from dataclasses import dataclass, field

from application.ports.signing_keys import StoredSigningKey
from application.ports.storage import StorageProbe, UnitOfWork
from domain.attempts import Tally
from domain.audit import AuditEvent
from domain.one_time_token import IssuedOneTimeToken
from domain.passkey import Passkey, PasskeyChallenge
from domain.second_factor import TotpFactor
from domain.session import IssuedRefreshToken, Session
from domain.user import User


@dataclass
class InMemoryStorage:
    users: dict[int, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, IssuedRefreshToken] = field(default_factory=dict)
    one_time_tokens: dict[str, IssuedOneTimeToken] = field(default_factory=dict)
    attempts: dict[str, Tally] = field(default_factory=dict)
    audit_events: list[AuditEvent] = field(default_factory=list)
    signing_keys: dict[str, StoredSigningKey] = field(default_factory=dict)
    second_factors: dict[int, TotpFactor] = field(default_factory=dict)
    recovery_codes: dict[int, set[str]] = field(default_factory=dict)
    passkeys: dict[int, Passkey] = field(default_factory=dict)
    passkey_challenges: dict[str, PasskeyChallenge] = field(default_factory=dict)
    next_user_id: int = 1
    next_audit_id: int = 1
    next_passkey_id: int = 1

    def delete_user(self, user_id: int) -> None:
        """What ON DELETE CASCADE does in SQL: the user's sessions and tokens go too."""
        self.users.pop(user_id, None)
        self.second_factors.pop(user_id, None)
        self.recovery_codes.pop(user_id, None)
        for digest in [d for d, t in self.one_time_tokens.items() if t.user_id == user_id]:
            del self.one_time_tokens[digest]
        for passkey_id in [p.id for p in self.passkeys.values() if p.user_id == user_id]:
            del self.passkeys[passkey_id]
        for digest in [d for d, c in self.passkey_challenges.items() if c.user_id == user_id]:
            del self.passkey_challenges[digest]
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
