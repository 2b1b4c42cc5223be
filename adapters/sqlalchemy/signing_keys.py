"""The signing keys in SQL. A rotation's claim on its generation is an insert that the unique
index decides: of two servers (or a server and the command line) rotating at once, one insert
stands and the other is refused, on MySQL by the index's lock, on a multi-primary cluster by
certification (a conflict, retried, which then meets the index)."""

from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import signing_keys
from application.ports.signing_keys import SigningKeyStore, StoredSigningKey
from domain.signing_keys import SigningKey

_SELECT_ALL = select(signing_keys).order_by(signing_keys.c.created_at)
_INSERT = insert(signing_keys)
_UPDATE = (
    update(signing_keys)
    .where(signing_keys.c.kid == bindparam("key_id"))
    .values(
        generation=bindparam("new_generation"),
        signs_from=bindparam("new_signs_from"),
        signs_until=bindparam("new_signs_until"),
        revoked_at=bindparam("new_revoked_at"),
    )
)


class SqlAlchemySigningKeyStore(SigningKeyStore):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def all(self) -> list[StoredSigningKey]:
        result = await self._database.execute(_SELECT_ALL)
        return [_stored(row._mapping) for row in result]

    async def add(self, stored: StoredSigningKey) -> bool:
        key = stored.key
        try:
            await self._database.execute(
                _INSERT,
                {
                    "kid": key.kid,
                    "algorithm": key.algorithm,
                    "generation": key.generation,
                    "created_at": key.created_at,
                    "signs_from": key.signs_from,
                    "signs_until": key.signs_until,
                    "revoked_at": key.revoked_at,
                    "public_jwk": stored.public_jwk,
                    "sealed_private_key": stored.sealed_private_key,
                },
            )
        except IntegrityError:
            return False
        return True

    async def update(self, key: SigningKey) -> None:
        await self._database.execute(
            _UPDATE,
            {
                "key_id": key.kid,
                "new_generation": key.generation,
                "new_signs_from": key.signs_from,
                "new_signs_until": key.signs_until,
                "new_revoked_at": key.revoked_at,
            },
        )


def _stored(row: Any) -> StoredSigningKey:
    key = SigningKey(
        kid=row["kid"],
        algorithm=row["algorithm"],
        generation=row["generation"],
        created_at=row["created_at"],
        signs_from=row["signs_from"],
        signs_until=row["signs_until"],
        revoked_at=row["revoked_at"],
    )
    return StoredSigningKey(key, row["public_jwk"], bytes(row["sealed_private_key"]))
