"""Passkeys and their challenges kept in memory."""

import dataclasses
from datetime import datetime

from adapters.memory.storage import InMemoryStorage
from application.ports.passkeys import (
    PasskeyAlreadyRegistered,
    PasskeyChallengeStore,
    PasskeyStore,
)
from domain.passkey import NewPasskey, Passkey, PasskeyChallenge


class InMemoryPasskeyStore(PasskeyStore):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def add(self, passkey: NewPasskey) -> Passkey:
        if await self.find(passkey.credential_id) is not None:
            raise PasskeyAlreadyRegistered
        stored = Passkey(
            id=self._storage.next_passkey_id,
            last_used_at=None,
            **{f.name: getattr(passkey, f.name) for f in dataclasses.fields(passkey)},
        )
        self._storage.next_passkey_id += 1
        self._storage.passkeys[stored.id] = stored
        return stored

    async def of_user(self, user_id: int) -> list[Passkey]:
        return sorted(
            (p for p in self._storage.passkeys.values() if p.user_id == user_id),
            key=lambda p: p.id,
        )

    async def count_of_user(self, user_id: int) -> int:
        return sum(1 for p in self._storage.passkeys.values() if p.user_id == user_id)

    async def find(self, credential_id: bytes) -> Passkey | None:
        return next(
            (p for p in self._storage.passkeys.values() if p.credential_id == credential_id),
            None,
        )

    async def record_use(self, passkey_id: int, sign_count: int, at: datetime) -> None:
        passkey = self._storage.passkeys.get(passkey_id)
        if passkey is not None:
            self._storage.passkeys[passkey_id] = dataclasses.replace(
                passkey, sign_count=sign_count, last_used_at=at
            )

    async def remove(self, user_id: int, passkey_id: int) -> bool:
        passkey = self._storage.passkeys.get(passkey_id)
        if passkey is None or passkey.user_id != user_id:
            return False
        del self._storage.passkeys[passkey_id]
        return True


class InMemoryPasskeyChallengeStore(PasskeyChallengeStore):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def add(self, challenge: PasskeyChallenge) -> None:
        self._storage.passkey_challenges[challenge.digest] = challenge

    async def consume(self, digest: str) -> PasskeyChallenge | None:
        return self._storage.passkey_challenges.pop(digest, None)

    async def purge(self, now: datetime) -> int:
        challenges = self._storage.passkey_challenges
        expired = [d for d, c in challenges.items() if c.expires_at <= now]
        for digest in expired:
            del challenges[digest]
        return len(expired)
