"""The administrators' listing: a read path of its own that never selects the password hash."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, Row, String, bindparam, exists, or_, select

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import user_roles, users
from adapters.sqlalchemy.users import second_factor_column
from application.ports.user_listing import UserReader, UserSearch, UserSummary
from domain.roles import Role
from domain.values import Email, Username

# One statement for every combination of filters: a filter left NULL matches everything. The
# prefix arrives with LIKE's wildcards escaped.
_LIKE_ESCAPE = "!"
_prefix = bindparam("prefix", type_=String)
_role = bindparam("role_id", type_=Integer)
_disabled = bindparam("disabled", type_=Boolean)
_SEARCH = (
    select(users.c.id)
    .where(
        # 64-bit: a cursor may name any storable id (see audit.py).
        users.c.id > bindparam("after_id", type_=BigInteger),
        or_(
            _prefix.is_(None),
            users.c.username_key.like(_prefix, escape=_LIKE_ESCAPE),
            users.c.email_key.like(_prefix, escape=_LIKE_ESCAPE),
        ),
        or_(
            _role.is_(None),
            exists().where(user_roles.c.user_id == users.c.id, user_roles.c.role_id == _role),
        ),
        or_(_disabled.is_(None), users.c.disabled == _disabled),
    )
    .order_by(users.c.id)
    .limit(bindparam("limit"))
)
_SUMMARIES_BY_IDS = (
    select(
        users.c.id,
        users.c.username,
        users.c.email,
        users.c.created_at,
        users.c.disabled,
        users.c.email_verified,
        users.c.last_signin_at,
        user_roles.c.role_id,
        second_factor_column(),
    )
    .select_from(users.outerjoin(user_roles, user_roles.c.user_id == users.c.id))
    .where(users.c.id.in_(bindparam("user_ids", expanding=True)))
    .order_by(users.c.id)
)


class SqlAlchemyUserReader(UserReader):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def search(self, search: UserSearch) -> list[UserSummary]:
        found = await self._database.execute(
            _SEARCH,
            {
                "after_id": search.after_id,
                "prefix": None if search.prefix is None else _like_prefix(search.prefix),
                "role_id": None if search.role is None else search.role.value,
                "disabled": search.disabled,
                "limit": search.limit,
            },
        )
        user_ids = list(found.scalars())
        if not user_ids:
            return []
        result = await self._database.execute(_SUMMARIES_BY_IDS, {"user_ids": user_ids})
        return _summaries_from(result.all())


def _summaries_from(rows: Sequence[Row[Any]]) -> list[UserSummary]:
    """Rows ordered by user id, one per role held."""
    by_user: dict[int, list[Row[Any]]] = {}
    for row in rows:
        by_user.setdefault(row.id, []).append(row)
    return [_summary_from(group) for group in by_user.values()]


def _summary_from(rows: Sequence[Row[Any]]) -> UserSummary:
    first = rows[0]
    return UserSummary(
        id=first.id,
        username=Username(first.username),
        email=Email.stored(first.email),
        roles=frozenset(Role(row.role_id) for row in rows if row.role_id is not None),
        created_at=first.created_at,
        disabled=bool(first.disabled),
        email_verified=bool(first.email_verified),
        last_signin_at=first.last_signin_at,
        second_factor=bool(first.second_factor),
    )


def _like_prefix(prefix: str) -> str:
    # Not a backslash, which MySQL string literals would read as an escape of their own.
    escaped = "".join(_LIKE_ESCAPE + c if c in "!%_" else c for c in prefix)
    return f"{escaped}%"
