"""Sessions and their refresh tokens kept in memory."""

from dataclasses import replace
from datetime import datetime

from adapters.memory.storage import InMemoryStorage
from application.ports.sessions import SessionStore
from domain.session import IssuedRefreshToken, Session


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
