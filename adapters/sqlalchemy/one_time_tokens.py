from sqlalchemy import bindparam, delete, insert, select

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import one_time_tokens
from application.ports.mail import OneTimeTokenStore
from domain.one_time_token import IssuedOneTimeToken, TokenPurpose

_INSERT = insert(one_time_tokens)
_FIND = select(one_time_tokens).where(one_time_tokens.c.digest == bindparam("digest"))
_DELETE_ONE = delete(one_time_tokens).where(one_time_tokens.c.digest == bindparam("digest"))
_DELETE_OF_USER = delete(one_time_tokens).where(
    one_time_tokens.c.user_id == bindparam("user_id"),
    one_time_tokens.c.purpose == bindparam("purpose"),
)

_DELETE_EXPIRED_OF_USER = delete(one_time_tokens).where(
    one_time_tokens.c.user_id == bindparam("user_id"),
    one_time_tokens.c.purpose == bindparam("purpose"),
    one_time_tokens.c.expires_at <= bindparam("now"),
)


class SqlAlchemyOneTimeTokenStore(OneTimeTokenStore):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def replace(self, token: IssuedOneTimeToken) -> None:
        await self._database.execute(
            _DELETE_OF_USER, {"user_id": token.user_id, "purpose": token.purpose.value}
        )
        await self._insert(token)

    async def add(self, token: IssuedOneTimeToken) -> None:
        await self._database.execute(
            _DELETE_EXPIRED_OF_USER,
            {"user_id": token.user_id, "purpose": token.purpose.value, "now": token.issued_at},
        )
        await self._insert(token)

    async def use(self, token: IssuedOneTimeToken) -> bool:
        # The delete decides, as in `consume`.
        deleted = await self._database.execute(_DELETE_ONE, {"digest": token.digest})
        return deleted.rowcount == 1

    async def _insert(self, token: IssuedOneTimeToken) -> None:
        await self._database.execute(
            _INSERT,
            {
                "digest": token.digest,
                "user_id": token.user_id,
                "purpose": token.purpose.value,
                "binding": token.binding,
                "issued_at": token.issued_at,
                "expires_at": token.expires_at,
            },
        )

    async def find(self, digest: str) -> IssuedOneTimeToken | None:
        row = (await self._database.execute(_FIND, {"digest": digest})).one_or_none()
        if row is None:
            return None
        return IssuedOneTimeToken(
            digest=row.digest,
            user_id=row.user_id,
            purpose=TokenPurpose(row.purpose),
            binding=row.binding,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
        )

    async def consume(self, token: IssuedOneTimeToken) -> bool:
        # The delete decides: it holds the row lock (MySQL) or the write lock (SQLite) until
        # commit, and a concurrent redemption then deletes nothing.
        deleted = await self._database.execute(_DELETE_ONE, {"digest": token.digest})
        if deleted.rowcount != 1:
            return False
        await self._database.execute(
            _DELETE_OF_USER, {"user_id": token.user_id, "purpose": token.purpose.value}
        )
        return True
