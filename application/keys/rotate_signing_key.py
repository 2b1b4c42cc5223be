"""`authgate keys rotate`, KEY_ROTATION_DAYS, and the first key of a first start: a new key in
the succession, claimed by a write that storage decides."""

from application.common.errors import KeysNotUsed, StorageConflict
from application.keys.policy import KeyPolicy
from application.ports.clock import Clock
from application.ports.signing_keys import SigningKeyFactory, SigningKeyStore, StoredSigningKey
from application.shared.transactions import Transactions
from domain.signing_keys import (
    SigningKey,
    first_key,
    needs_first_key,
    rotation_due,
    succession,
)


class RotateSigningKey:
    def __init__(
        self,
        keys: SigningKeyStore,
        factory: SigningKeyFactory,
        transactions: Transactions,
        clock: Clock,
        policy: KeyPolicy,
    ) -> None:
        self._keys = keys
        self._factory = factory
        self._transactions = transactions
        self._clock = clock
        self._policy = policy

    async def execute(self) -> SigningKey:
        """A `next` key, published from now, signing after JWKS_MAX_AGE. Raises NextKeyWaiting
        while one waits already (also when a concurrent rotation just made it)."""
        if not self._policy.publishes_keys:
            raise KeysNotUsed

        async def rotate() -> SigningKey:
            return await self._rotate([s.key for s in await self._keys.all()])

        return await self._transactions.run(rotate)

    async def if_due(self) -> SigningKey | None:
        """The scheduled rotation: a `next` key if the signing key is KEY_ROTATION_DAYS old and
        none waits. Every worker of every server may ask at once: one key comes of it."""
        if not self._policy.publishes_keys:
            return None

        async def rotate_if_due() -> SigningKey | None:
            keys = [s.key for s in await self._keys.all()]
            if not rotation_due(keys, self._clock.now(), self._policy.schedule):
                return None
            return await self._rotate(keys)

        return await self._transactions.run(rotate_if_due)

    async def first(self) -> list[StoredSigningKey]:
        """Every stored key, after making the first one if none signs or waits to (a first
        start: every worker may ask at once, one key comes of it)."""
        if not self._policy.publishes_keys:
            return []
        stored = await self._keys.all()
        if not needs_first_key([s.key for s in stored], self._clock.now()):
            # The common case, every second of every worker: a read, with nothing to commit.
            return stored

        async def load() -> list[StoredSigningKey]:
            stored = await self._keys.all()
            now = self._clock.now()
            keys = [s.key for s in stored]
            if not needs_first_key(keys, now):
                return stored
            kid, public_jwk, sealed = self._factory.generate()
            made = StoredSigningKey(
                first_key(kid, self._factory.algorithm, now, keys), public_jwk, sealed
            )
            await self._claim(made)
            return [*stored, made]

        return await self._transactions.run(load)

    async def _rotate(self, keys: list[SigningKey]) -> SigningKey:
        kid, public_jwk, sealed = self._factory.generate()
        change = succession(
            keys, kid, self._factory.algorithm, self._clock.now(), self._policy.schedule
        )
        await self._claim(StoredSigningKey(change.successor, public_jwk, sealed))
        if change.predecessor is not None:
            await self._keys.update(change.predecessor)
        return change.successor

    async def _claim(self, stored: StoredSigningKey) -> None:
        if not await self._keys.add(stored):
            # Another rotation claimed this generation first: the next run reads its key.
            raise StorageConflict("a concurrent rotation claimed the same generation")
