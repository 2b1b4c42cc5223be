"""Who is behind a session, as memory holds it now."""

from datetime import datetime

from adapters.memory.storage import InMemoryStorage
from application.ports.sessions import PrincipalFinder
from domain.user import Principal


class InMemoryPrincipalFinder(PrincipalFinder):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def find(
        self, user_id: int, session_id: str, now: datetime, key_id: str | None = None
    ) -> Principal | None:
        user = self._storage.users.get(user_id)
        session = self._storage.sessions.get(session_id)
        if user is None or session is None or session.user_id != user_id or user.disabled:
            return None
        if not session.is_live(now):
            return None
        if key_id is not None:
            key = self._storage.signing_keys.get(key_id)
            if key is None or key.key.revoked_at is not None:
                return None
        return Principal(user_id=user.id, session_id=session.id, roles=user.roles)
