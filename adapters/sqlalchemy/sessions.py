from datetime import datetime

from sqlalchemy import bindparam, delete, insert, or_, select, update

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import (
    ADDRESS_LENGTH,
    USER_AGENT_LENGTH,
    attempt_counters,
    refresh_tokens,
    sessions,
)
from application.ports.sessions import SessionStore
from domain.session import IssuedRefreshToken, Session

# FOR UPDATE makes concurrent refreshes of one token on MySQL wait for each other, so each sees
# the rotation before it; SQLite has no row locks and drops the clause, and there the generation
# check in `rotate` decides alone.
_TOKEN_WITH_SESSION = (
    select(
        refresh_tokens.c.digest,
        refresh_tokens.c.session_id,
        refresh_tokens.c.issued_at,
        refresh_tokens.c.expires_at.label("token_expires_at"),
        refresh_tokens.c.rotated_at,
        sessions.c.user_id,
        sessions.c.created_at,
        sessions.c.expires_at,
        sessions.c.revoked_at,
        sessions.c.generation,
        sessions.c.user_agent,
        sessions.c.ip,
        sessions.c.last_used_at,
    )
    .select_from(refresh_tokens.join(sessions, sessions.c.id == refresh_tokens.c.session_id))
    .where(refresh_tokens.c.digest == bindparam("digest"))
    .with_for_update()
)
# Built once, executed with parameters: SQLAlchemy then reuses the compiled form outright.
_INSERT_SESSION = insert(sessions)
_INSERT_TOKEN = insert(refresh_tokens)
_ADVANCE_GENERATION = (
    update(sessions)
    .where(
        sessions.c.id == bindparam("session_id"),
        sessions.c.generation == bindparam("read_generation"),
        sessions.c.revoked_at.is_(None),
    )
    .values(generation=bindparam("next_generation"), last_used_at=bindparam("used_at"))
)
_RETIRE_LIVE_TOKENS = (
    update(refresh_tokens)
    .where(
        refresh_tokens.c.session_id == bindparam("of_session"),
        refresh_tokens.c.rotated_at.is_(None),
    )
    .values(rotated_at=bindparam("retired_at"))
)
_REVOKE = (
    update(sessions)
    .where(sessions.c.id == bindparam("session_id"), sessions.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("at"))
)
_LIVE_OF_USER = (
    select(sessions)
    .where(
        sessions.c.user_id == bindparam("user_id"),
        sessions.c.revoked_at.is_(None),
        sessions.c.expires_at > bindparam("now"),
    )
    .order_by(sessions.c.created_at.desc(), sessions.c.id)
)
_REVOKE_OF_USER = (
    update(sessions)
    .where(
        sessions.c.id == bindparam("session_id"),
        sessions.c.user_id == bindparam("of_user"),
        sessions.c.revoked_at.is_(None),
        sessions.c.expires_at > bindparam("at"),
    )
    .values(revoked_at=bindparam("at"))
)
# "keep" is a session id or "", which no session has.
_REVOKE_ALL_OF_USER = (
    update(sessions)
    .where(
        sessions.c.user_id == bindparam("of_user"),
        sessions.c.id != bindparam("keep"),
        sessions.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("at"))
)


class SqlAlchemySessionStore(SessionStore):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def start(self, session: Session, first_token: IssuedRefreshToken) -> None:
        await self._database.execute(_INSERT_SESSION, _session_row(session))
        await self._database.execute(_INSERT_TOKEN, _token_row(first_token))

    async def find_by_refresh_digest(
        self, digest: str
    ) -> tuple[IssuedRefreshToken, Session] | None:
        result = await self._database.execute(_TOKEN_WITH_SESSION, {"digest": digest})
        row = result.one_or_none()
        if row is None:
            return None
        token = IssuedRefreshToken(
            digest=row.digest,
            session_id=row.session_id,
            issued_at=row.issued_at,
            expires_at=row.token_expires_at,
            rotated_at=row.rotated_at,
        )
        session = Session(
            id=row.session_id,
            user_id=row.user_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            generation=row.generation,
            user_agent=row.user_agent,
            ip=row.ip,
            last_used_at=row.last_used_at,
        )
        return token, session

    async def rotate(
        self, session: Session, retired_at: datetime, next_token: IssuedRefreshToken
    ) -> bool:
        # The conditional update is the decision: on MySQL it holds the row lock until commit,
        # on SQLite the database write lock; a concurrent rotation then finds the generation moved.
        advanced = await self._database.execute(
            _ADVANCE_GENERATION,
            {
                "session_id": session.id,
                "read_generation": session.generation,
                "next_generation": session.generation + 1,
                "used_at": retired_at,
            },
        )
        if advanced.rowcount != 1:
            return False
        await self._database.execute(
            _RETIRE_LIVE_TOKENS, {"of_session": session.id, "retired_at": retired_at}
        )
        await self._database.execute(_INSERT_TOKEN, _token_row(next_token))
        return True

    async def revoke(self, session_id: str, at: datetime) -> None:
        await self._database.execute(_REVOKE, {"session_id": session_id, "at": at})

    async def live_sessions(self, user_id: int, now: datetime) -> list[Session]:
        result = await self._database.execute(_LIVE_OF_USER, {"user_id": user_id, "now": now})
        return [
            Session(
                id=row.id,
                user_id=row.user_id,
                created_at=row.created_at,
                expires_at=row.expires_at,
                revoked_at=row.revoked_at,
                generation=row.generation,
                user_agent=row.user_agent,
                ip=row.ip,
                last_used_at=row.last_used_at,
            )
            for row in result.all()
        ]

    async def revoke_of_user(self, user_id: int, session_id: str, at: datetime) -> bool:
        revoked = await self._database.execute(
            _REVOKE_OF_USER, {"session_id": session_id, "of_user": user_id, "at": at}
        )
        return revoked.rowcount == 1

    async def revoke_all_of_user(self, user_id: int, at: datetime, keep: str | None = None) -> int:
        revoked = await self._database.execute(
            _REVOKE_ALL_OF_USER, {"of_user": user_id, "keep": keep or "", "at": at}
        )
        return revoked.rowcount

    async def purge(self, now: datetime) -> int:
        ended = await self._database.execute(
            delete(sessions).where(
                or_(sessions.c.revoked_at.is_not(None), sessions.c.expires_at <= now)
            )
        )
        await self._database.execute(
            delete(refresh_tokens).where(refresh_tokens.c.expires_at <= now)
        )
        await self._database.execute(
            delete(attempt_counters).where(attempt_counters.c.expires_at <= now)
        )
        return ended.rowcount


def _session_row(session: Session) -> dict[str, object]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
        "generation": session.generation,
        "user_agent": session.user_agent[:USER_AGENT_LENGTH],
        "ip": session.ip[:ADDRESS_LENGTH],
        "last_used_at": session.last_used_at,
    }


def _token_row(token: IssuedRefreshToken) -> dict[str, object]:
    return {
        "digest": token.digest,
        "session_id": token.session_id,
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "rotated_at": token.rotated_at,
    }
