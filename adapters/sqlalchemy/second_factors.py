"""Second factors in SQL. Every single use is one conditional statement whose row count says
whether it won: the database decides, holding the row's lock (InnoDB) or the write lock (SQLite)
until commit, so a concurrent request presenting the same code waits and then matches nothing;
on a multi-primary cluster one of two such commits fails certification and runs again, and then
matches nothing."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import recovery_codes, second_factors
from application.ports.second_factors import SecondFactorStore
from domain.second_factor import TotpFactor

# Not named after a column: an UPDATE reserves those names for its SET clause.
_OF_USER = second_factors.c.user_id == bindparam("owner")
_FIND = select(second_factors).where(_OF_USER)
_DELETE_PENDING = delete(second_factors).where(_OF_USER, second_factors.c.confirmed_at.is_(None))
_INSERT = insert(second_factors)
_STEP_IS_NEW = second_factors.c.last_used_step < bindparam("step")
_CONFIRM = (
    update(second_factors)
    .where(_OF_USER, second_factors.c.confirmed_at.is_(None), _STEP_IS_NEW)
    .values(confirmed_at=bindparam("at"), last_used_step=bindparam("step"))
)
_USE_STEP = (
    update(second_factors)
    .where(_OF_USER, second_factors.c.confirmed_at.is_not(None), _STEP_IS_NEW)
    .values(last_used_step=bindparam("step"))
)
_DELETE_CONFIRMED = delete(second_factors).where(
    _OF_USER, second_factors.c.confirmed_at.is_not(None)
)
_CODES_OF_USER = recovery_codes.c.user_id == bindparam("owner")
_DELETE_CODES = delete(recovery_codes).where(_CODES_OF_USER)
_INSERT_CODES = insert(recovery_codes)
_USE_CODE = delete(recovery_codes).where(
    _CODES_OF_USER, recovery_codes.c.digest == bindparam("code_digest")
)
_CODES_LEFT = select(func.count()).select_from(recovery_codes).where(_CODES_OF_USER)


class SqlAlchemySecondFactorStore(SecondFactorStore):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def find(self, user_id: int) -> TotpFactor | None:
        row = (await self._database.execute(_FIND, {"owner": user_id})).one_or_none()
        if row is None:
            return None
        return TotpFactor(
            user_id=row.user_id,
            sealed_secret=row.totp_secret,
            created_at=row.created_at,
            confirmed=row.confirmed_at is not None,
            last_used_step=row.last_used_step,
        )

    async def enrol(self, factor: TotpFactor) -> bool:
        await self._database.execute(_DELETE_PENDING, {"owner": factor.user_id})
        try:
            await self._database.execute(
                _INSERT,
                {
                    "user_id": factor.user_id,
                    "totp_secret": factor.sealed_secret,
                    "created_at": factor.created_at,
                    "confirmed_at": None,
                    "last_used_step": factor.last_used_step,
                },
            )
        except IntegrityError:
            # The row the delete left is a confirmed factor's (or a concurrent enrolment's).
            return False
        return True

    async def confirm(self, user_id: int, step: int, at: datetime) -> bool:
        confirmed = await self._database.execute(
            _CONFIRM, {"owner": user_id, "step": step, "at": at}
        )
        return confirmed.rowcount == 1

    async def use_step(self, user_id: int, step: int) -> bool:
        used = await self._database.execute(_USE_STEP, {"owner": user_id, "step": step})
        return used.rowcount == 1

    async def remove(self, user_id: int) -> bool:
        await self._database.execute(_DELETE_CODES, {"owner": user_id})
        removed = await self._database.execute(_DELETE_CONFIRMED, {"owner": user_id})
        await self._database.execute(_DELETE_PENDING, {"owner": user_id})
        return removed.rowcount == 1

    async def replace_recovery_codes(self, user_id: int, digests: Sequence[str]) -> None:
        await self._database.execute(_DELETE_CODES, {"owner": user_id})
        if digests:
            await self._database.execute(
                _INSERT_CODES, [{"user_id": user_id, "digest": digest} for digest in digests]
            )

    async def use_recovery_code(self, user_id: int, digest: str) -> bool:
        used = await self._database.execute(_USE_CODE, {"owner": user_id, "code_digest": digest})
        return used.rowcount == 1

    async def recovery_codes_left(self, user_id: int) -> int:
        left = await self._database.execute(_CODES_LEFT, {"owner": user_id})
        return int(left.scalar_one())
