"""Rate-limit tallies kept in memory: one process's limits only."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from adapters.memory.storage import InMemoryStorage
from application.ports.attempts import AttemptCounter, AttemptsReserved
from domain.attempts import Limit, Tally


class InMemoryAttemptCounter(AttemptCounter):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def tallies(self, keys: Sequence[str], now: datetime) -> Mapping[str, Tally]:
        return self._live(keys, now)

    def _live(self, keys: Sequence[str] | Mapping[str, Limit], now: datetime) -> dict[str, Tally]:
        found = {key: self._storage.attempts.get(key) for key in keys}
        return {key: tally for key, tally in found.items() if tally and tally.is_live(now)}

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        attempts = self._storage.attempts
        attempts[key] = limit.counted(attempts.get(key), now)

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        # No await from the read to the last write: one step of the event loop.
        live = self._live(limits, now)
        admitted = all(
            limit.wait(live.get(key), now) <= timedelta(0) for key, limit in limits.items()
        )
        if admitted:
            for key, limit in limits.items():
                self._storage.attempts[key] = limit.counted(live.get(key), now)
        return AttemptsReserved(admitted, live)

    async def release(self, keys: Sequence[str], now: datetime, forget: Sequence[str] = ()) -> None:
        attempts = self._storage.attempts
        for key in keys:
            tally = attempts.get(key)
            if tally is not None and tally.is_live(now) and tally.count > 0:
                attempts[key] = replace(tally, count=tally.count - 1)
        for key in forget:
            attempts.pop(key, None)
