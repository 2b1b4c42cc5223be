from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, exists, select

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import sessions, signing_keys, user_roles, users
from application.ports.sessions import PrincipalFinder
from domain.roles import Role
from domain.user import Principal

# One row per role held (one row with a NULL role for a user holding none); no row at all when
# the user is gone or disabled, or the session is unknown, ended or not the user's.
PRINCIPAL_QUERY = (
    select(user_roles.c.role_id)
    .select_from(
        sessions.join(users, users.c.id == sessions.c.user_id).outerjoin(
            user_roles, user_roles.c.user_id == users.c.id
        )
    )
    .where(
        sessions.c.id == bindparam("session_id"),
        sessions.c.user_id == bindparam("user_id"),
        sessions.c.revoked_at.is_(None),
        sessions.c.expires_at > bindparam("now"),
        users.c.disabled.is_(False),
    )
)
# The same, for a token signed with a published key: no row either when that key is revoked, so
# a revocation holds at once on every server, at the cost of one primary-key probe in the same
# round trip. (A retired key's tokens have all expired: the verifier refuses them first.)
KEYED_PRINCIPAL_QUERY = PRINCIPAL_QUERY.where(
    exists()
    .where(signing_keys.c.kid == bindparam("key_id"), signing_keys.c.revoked_at.is_(None))
    .correlate(None)
)


def principal_from(
    user_id: int, session_id: str, role_ids: Iterable[int | None]
) -> Principal | None:
    rows = list(role_ids)
    if not rows:
        return None
    return Principal(
        user_id=user_id,
        session_id=session_id,
        roles=frozenset(Role(role_id) for role_id in rows if role_id is not None),
    )


class SqlAlchemyPrincipalFinder(PrincipalFinder):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def find(
        self, user_id: int, session_id: str, now: datetime, key_id: str | None = None
    ) -> Principal | None:
        values = {"session_id": session_id, "user_id": user_id, "now": now}
        if key_id is None:
            result = await self._database.execute(PRINCIPAL_QUERY, values)
        else:
            result = await self._database.execute(
                KEYED_PRINCIPAL_QUERY, {**values, "key_id": key_id}
            )
        return principal_from(user_id, session_id, result.scalars())
