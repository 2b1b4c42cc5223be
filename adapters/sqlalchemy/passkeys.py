"""Passkeys and their challenges in SQL."""

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import STORABLE_IDS, passkey_challenges, passkeys
from application.ports.passkeys import (
    PasskeyAlreadyRegistered,
    PasskeyChallengeStore,
    PasskeyStore,
)
from domain.passkey import ChallengePurpose, NewPasskey, Passkey, PasskeyChallenge

_INSERT = insert(passkeys)
_OF_USER = (
    select(passkeys).where(passkeys.c.user_id == bindparam("user_id")).order_by(passkeys.c.id)
)
_COUNT_OF_USER = (
    select(func.count()).select_from(passkeys).where(passkeys.c.user_id == bindparam("user_id"))
)
_FIND = select(passkeys).where(passkeys.c.credential_key == bindparam("credential_key"))
_RECORD_USE = (
    update(passkeys)
    .where(passkeys.c.id == bindparam("passkey_id"))
    .values(sign_count=bindparam("sign_count"), last_used_at=bindparam("at"))
)
_REMOVE = delete(passkeys).where(
    passkeys.c.id == bindparam("passkey_id"), passkeys.c.user_id == bindparam("user_id")
)
_TRANSPORT_SEPARATOR = ","

_INSERT_CHALLENGE = insert(passkey_challenges)
_FIND_CHALLENGE = select(passkey_challenges).where(
    passkey_challenges.c.digest == bindparam("digest")
)
_DELETE_CHALLENGE = delete(passkey_challenges).where(
    passkey_challenges.c.digest == bindparam("digest")
)
_PURGE_CHALLENGES = delete(passkey_challenges).where(
    passkey_challenges.c.expires_at <= bindparam("now")
)


def _credential_key(credential_id: bytes) -> str:
    return hashlib.sha256(credential_id).hexdigest()


class SqlAlchemyPasskeyStore(PasskeyStore):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def add(self, passkey: NewPasskey) -> Passkey:
        try:
            result = await self._database.execute(
                _INSERT,
                {
                    "user_id": passkey.user_id,
                    "credential_key": _credential_key(passkey.credential_id),
                    "credential_id": passkey.credential_id,
                    "public_key": passkey.public_key,
                    "sign_count": passkey.sign_count,
                    "transports": _TRANSPORT_SEPARATOR.join(passkey.transports),
                    "name": passkey.name,
                    "created_at": passkey.created_at,
                },
            )
        except IntegrityError as error:
            if "credential_key" in str(error.orig):
                raise PasskeyAlreadyRegistered from error
            raise
        (passkey_id,) = result.inserted_primary_key or (None,)
        if not isinstance(passkey_id, int):
            raise RuntimeError("the database did not return the new passkey's id")
        return Passkey(
            id=passkey_id,
            user_id=passkey.user_id,
            credential_id=passkey.credential_id,
            public_key=passkey.public_key,
            sign_count=passkey.sign_count,
            transports=passkey.transports,
            name=passkey.name,
            created_at=passkey.created_at,
            last_used_at=None,
        )

    async def of_user(self, user_id: int) -> list[Passkey]:
        rows = await self._database.execute(_OF_USER, {"user_id": user_id})
        return [_passkey_from(row) for row in rows]

    async def count_of_user(self, user_id: int) -> int:
        count = (await self._database.execute(_COUNT_OF_USER, {"user_id": user_id})).scalar()
        return int(count or 0)

    async def find(self, credential_id: bytes) -> Passkey | None:
        result = await self._database.execute(
            _FIND, {"credential_key": _credential_key(credential_id)}
        )
        row = result.one_or_none()
        return None if row is None else _passkey_from(row)

    async def record_use(self, passkey_id: int, sign_count: int, at: datetime) -> None:
        await self._database.execute(
            _RECORD_USE, {"passkey_id": passkey_id, "sign_count": sign_count, "at": at}
        )

    async def remove(self, user_id: int, passkey_id: int) -> bool:
        if passkey_id not in STORABLE_IDS:
            return False
        result = await self._database.execute(
            _REMOVE, {"passkey_id": passkey_id, "user_id": user_id}
        )
        return result.rowcount == 1


def _passkey_from(row: Row[Any]) -> Passkey:
    return Passkey(
        id=row.id,
        user_id=row.user_id,
        credential_id=bytes(row.credential_id),
        public_key=bytes(row.public_key),
        sign_count=row.sign_count,
        transports=tuple(t for t in row.transports.split(_TRANSPORT_SEPARATOR) if t),
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


class SqlAlchemyPasskeyChallengeStore(PasskeyChallengeStore):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def add(self, challenge: PasskeyChallenge) -> None:
        await self._database.execute(
            _INSERT_CHALLENGE,
            {
                "digest": challenge.digest,
                "purpose": challenge.purpose.value,
                "user_id": challenge.user_id,
                "expires_at": challenge.expires_at,
            },
        )

    async def consume(self, digest: str) -> PasskeyChallenge | None:
        row = (await self._database.execute(_FIND_CHALLENGE, {"digest": digest})).one_or_none()
        if row is None:
            return None
        # The delete decides: it holds the row lock (MySQL, PostgreSQL) or the write lock
        # (SQLite) until commit, and a concurrent use then deletes nothing.
        deleted = await self._database.execute(_DELETE_CHALLENGE, {"digest": digest})
        if deleted.rowcount != 1:
            return None
        return PasskeyChallenge(
            digest=row.digest,
            purpose=ChallengePurpose(row.purpose),
            user_id=row.user_id,
            expires_at=row.expires_at,
        )

    async def purge(self, now: datetime) -> int:
        return (await self._database.execute(_PURGE_CHALLENGES, {"now": now})).rowcount
