"""The signing keys, as memory holds them."""

from dataclasses import replace

from adapters.memory.storage import InMemoryStorage
from application.ports.signing_keys import SigningKeyStore, StoredSigningKey
from domain.signing_keys import SigningKey


class InMemorySigningKeyStore(SigningKeyStore):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def all(self) -> list[StoredSigningKey]:
        return list(self._storage.signing_keys.values())

    async def add(self, stored: StoredSigningKey) -> bool:
        generation = stored.key.generation
        keys = self._storage.signing_keys
        # As a unique index over a nullable column: NULLs never collide.
        taken = generation is not None and any(
            s.key.generation == generation for s in keys.values()
        )
        if stored.key.kid in keys or taken:
            return False
        keys[stored.key.kid] = stored
        return True

    async def update(self, key: SigningKey) -> None:
        stored = self._storage.signing_keys.get(key.kid)
        if stored is not None:
            self._storage.signing_keys[key.kid] = replace(stored, key=key)
