from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Label,
    Row,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import (
    STORABLE_IDS,
    admin_guard,
    second_factors,
    user_roles,
    users,
)
from application.ports.users import UserRepository
from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.roles import Role
from domain.user import NewUser, User
from domain.values import Email, PasswordHash, Username


def second_factor_column() -> Label[bool]:
    """Whether the user has a confirmed second factor: read with the user, in the same statement,
    so a signin of an account without one costs nothing more than before."""
    return (
        exists()
        .where(second_factors.c.user_id == users.c.id, second_factors.c.confirmed_at.is_not(None))
        .label("second_factor")
    )


_USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.email,
    users.c.password,
    users.c.created_at,
    users.c.disabled,
    users.c.email_verified,
    users.c.last_signin_at,
    user_roles.c.role_id,
    second_factor_column(),
)
_USERS_WITH_ROLES = select(*_USER_COLUMNS).select_from(
    users.outerjoin(user_roles, user_roles.c.user_id == users.c.id)
)
_USER_WITH_ROLES = _USERS_WITH_ROLES.where(users.c.username_key == bindparam("username_key"))
# 64-bit: a client may name any storable id (see audit.py).
_USER_BY_ID = _USERS_WITH_ROLES.where(users.c.id == bindparam("user_id", type_=BigInteger))
_USER_BY_EMAIL = _USERS_WITH_ROLES.where(users.c.email_key == bindparam("email_key"))
_MARK_EMAIL_VERIFIED = (
    update(users).where(users.c.id == bindparam("user_id")).values(email_verified=True)
)
_TAKEN = select(users.c.username_key, users.c.email_key).where(
    or_(
        users.c.username_key == bindparam("username_key"),
        users.c.email_key == bindparam("email_key"),
    )
)
_INSERT_USER = insert(users)
_INSERT_ROLE_GRANT = insert(user_roles)
_SET_PASSWORD = (
    update(users)
    .where(users.c.id == bindparam("user_id"))
    .values(password=bindparam("password_hash"))
)
_REVOKE_ROLES = delete(user_roles).where(user_roles.c.user_id == bindparam("user_id"))
_SET_DISABLED = (
    update(users).where(users.c.id == bindparam("user_id")).values(disabled=bindparam("disabled"))
)
_RECORD_SIGNIN = (
    update(users).where(users.c.id == bindparam("user_id")).values(last_signin_at=bindparam("at"))
)
_DELETE_USER = delete(users).where(users.c.id == bindparam("user_id"))
_GUARD_ROW = admin_guard.c.id == 1
_HOLD_ADMINISTRATORS = (
    update(admin_guard).where(_GUARD_ROW).values(generation=admin_guard.c.generation + 1)
)
# Written only if another enabled administrator exists: the database decides, on the row every
# administrative change writes, so the answer cannot go stale before the change commits. The
# subquery reads other tables than the one updated, which MySQL requires.
_KEEP_ANOTHER_ADMINISTRATOR = (
    update(admin_guard)
    .where(
        _GUARD_ROW,
        exists()
        .select_from(users.join(user_roles, user_roles.c.user_id == users.c.id))
        .where(
            user_roles.c.role_id == Role.ADMIN.value,
            users.c.disabled.is_(False),
            users.c.id != bindparam("user_id"),
        ),
    )
    .values(generation=admin_guard.c.generation + 1)
)


class SqlAlchemyUserRepository(UserRepository):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def add(self, user: NewUser) -> User:
        try:
            result = await self._database.execute(
                _INSERT_USER,
                {
                    "username": user.username.value,
                    "username_key": user.username.key,
                    "email": user.email.value,
                    "email_key": user.email.key,
                    "password": user.password_hash.value,
                    "created_at": user.created_at,
                    "email_verified": False,
                },
            )
        except IntegrityError as error:
            raise _duplicate(error) from error
        (user_id,) = result.inserted_primary_key or (None,)
        if not isinstance(user_id, int):
            raise RuntimeError("the database did not return the new user's id")
        await self._database.execute(
            _INSERT_ROLE_GRANT, [{"user_id": user_id, "role_id": r.value} for r in user.roles]
        )
        return User(
            user_id,
            user.username,
            user.email,
            user.password_hash,
            user.roles,
            created_at=user.created_at,
        )

    async def find_by_username(self, username: Username) -> User | None:
        result = await self._database.execute(_USER_WITH_ROLES, {"username_key": username.key})
        return _user_from(result.all())

    async def find_by_email(self, email: Email) -> User | None:
        result = await self._database.execute(_USER_BY_EMAIL, {"email_key": email.key})
        return _user_from(result.all())

    async def mark_email_verified(self, user_id: int) -> None:
        await self._database.execute(_MARK_EMAIL_VERIFIED, {"user_id": user_id})

    async def find_taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        result = await self._database.execute(
            _TAKEN, {"username_key": username.key, "email_key": email.key}
        )
        rows = result.all()
        return (
            any(row.username_key == username.key for row in rows),
            any(row.email_key == email.key for row in rows),
        )

    async def set_password_hash(self, user_id: int, password_hash: PasswordHash) -> None:
        await self._database.execute(
            _SET_PASSWORD, {"user_id": user_id, "password_hash": password_hash.value}
        )

    async def get(self, user_id: int) -> User | None:
        if user_id not in STORABLE_IDS:
            return None
        result = await self._database.execute(_USER_BY_ID, {"user_id": user_id})
        return _user_from(result.all())

    async def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        await self._database.execute(_REVOKE_ROLES, {"user_id": user_id})
        await self._database.execute(
            _INSERT_ROLE_GRANT, [{"user_id": user_id, "role_id": role.value} for role in roles]
        )

    async def set_disabled(self, user_id: int, disabled: bool) -> None:
        await self._database.execute(_SET_DISABLED, {"user_id": user_id, "disabled": disabled})

    async def delete(self, user_id: int) -> None:
        await self._database.execute(_DELETE_USER, {"user_id": user_id})

    async def record_signin(self, user_id: int, at: datetime) -> None:
        await self._database.execute(_RECORD_SIGNIN, {"user_id": user_id, "at": at})

    async def hold_administrators(self) -> None:
        await self._database.execute(_HOLD_ADMINISTRATORS)

    async def keep_another_administrator(self, user_id: int) -> bool:
        kept = await self._database.execute(_KEEP_ANOTHER_ADMINISTRATOR, {"user_id": user_id})
        return kept.rowcount == 1


def _user_from(rows: Sequence[Row[Any]]) -> User | None:
    if not rows:
        return None
    first = rows[0]
    return User(
        id=first.id,
        username=Username(first.username),
        email=Email.stored(first.email),
        password_hash=PasswordHash(first.password),
        roles=frozenset(Role(row.role_id) for row in rows if row.role_id is not None),
        created_at=first.created_at,
        disabled=bool(first.disabled),
        email_verified=bool(first.email_verified),
        last_signin_at=first.last_signin_at,
        second_factor=bool(first.second_factor),
    )


def _duplicate(error: IntegrityError) -> Exception:
    """Which unique index refused the row. PostgreSQL's driver names it (asyncpg's
    `constraint_name`); MySQL's and SQLite's message names it last ("... for key
    'users.uq_email_key'", "UNIQUE constraint failed: users.email_key"), and only that tail is
    read, because the duplicate value itself, earlier in the message, is user input (as it is in
    PostgreSQL's detail, which is never read)."""
    constraint = getattr(error.orig.__cause__ if error.orig else None, "constraint_name", None)
    if isinstance(constraint, str):
        tail = constraint
    else:
        message = str(error.orig)
        tail = (
            message.rsplit("for key", 1)[-1] if "for key" in message else message.rsplit(":", 1)[-1]
        )
    if "email_key" in tail:
        return EmailAlreadyExists()
    if "username_key" in tail:
        return UsernameAlreadyExists()
    return error
