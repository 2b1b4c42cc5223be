"""Second factors kept in memory. Each method finishes without awaiting, so its check and write
are one atomic step on the event loop, as the SQL adapter's conditional writes are in the
database."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from adapters.memory.storage import InMemoryStorage
from application.ports.second_factors import SecondFactorStore
from domain.second_factor import TotpFactor


class InMemorySecondFactorStore(SecondFactorStore):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def find(self, user_id: int) -> TotpFactor | None:
        return self._storage.second_factors.get(user_id)

    async def enrol(self, factor: TotpFactor) -> bool:
        present = self._storage.second_factors.get(factor.user_id)
        if present is not None and present.confirmed:
            return False
        self._storage.second_factors[factor.user_id] = factor
        return True

    async def confirm(self, user_id: int, step: int, at: datetime) -> bool:
        factor = self._storage.second_factors.get(user_id)
        if factor is None or factor.confirmed or step <= factor.last_used_step:
            return False
        self._storage.second_factors[user_id] = replace(factor, confirmed=True, last_used_step=step)
        self._mark_user(user_id, second_factor=True)
        return True

    async def use_step(self, user_id: int, step: int) -> bool:
        factor = self._storage.second_factors.get(user_id)
        if factor is None or not factor.confirmed or step <= factor.last_used_step:
            return False
        self._storage.second_factors[user_id] = replace(factor, last_used_step=step)
        return True

    async def remove(self, user_id: int) -> bool:
        factor = self._storage.second_factors.pop(user_id, None)
        self._storage.recovery_codes.pop(user_id, None)
        self._mark_user(user_id, second_factor=False)
        return factor is not None and factor.confirmed

    async def replace_recovery_codes(self, user_id: int, digests: Sequence[str]) -> None:
        self._storage.recovery_codes[user_id] = set(digests)

    async def use_recovery_code(self, user_id: int, digest: str) -> bool:
        codes = self._storage.recovery_codes.get(user_id, set())
        if digest not in codes:
            return False
        codes.discard(digest)
        return True

    async def recovery_codes_left(self, user_id: int) -> int:
        return len(self._storage.recovery_codes.get(user_id, ()))

    def _mark_user(self, user_id: int, *, second_factor: bool) -> None:
        """What the SQL adapters read with each user, kept on the stored user here."""
        user = self._storage.users.get(user_id)
        if user is not None:
            self._storage.users[user_id] = replace(user, second_factor=second_factor)
