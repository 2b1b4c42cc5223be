"""Units of work that storage may refuse for a moment (a deadlock, a lock wait, a cluster's
certification failure, a busy SQLite file) are run again from their first read."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from application.common.errors import StorageConflict, StorageUnavailable
from application.common.outcomes import UnavailableCause
from application.ports.storage import UnitOfWork

_T = TypeVar("_T")

logger = logging.getLogger("authgate")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int
    """Runs of one unit of work in all, the first included."""
    backoff: timedelta
    """The longest wait before the second run; it doubles for each later run. Each wait is drawn
    at random below it ("full jitter"), so that the requests that collided do not collide again."""

    def delay(self, failed_runs: int) -> float:
        ceiling = self.backoff.total_seconds() * 2 ** (failed_runs - 1)
        return random.uniform(0, ceiling)  # noqa: S311 - spreading retries, not a secret


class Transactions:
    """Runs a use case's unit of work (its reads, decisions and writes) and commits it, so that a
    conflict reported at commit, as a cluster reports it, is retried too. Whatever else the work
    raises goes to the caller, with nothing of that run kept."""

    def __init__(self, uow: UnitOfWork, policy: RetryPolicy) -> None:
        self._uow = uow
        self._policy = policy

    async def run(self, work: Callable[[], Awaitable[_T]]) -> _T:
        failed_runs = 0
        while True:
            try:
                result = await work()
                await self._uow.commit()
            except StorageConflict as conflict:
                await self._uow.rollback()
                failed_runs += 1
                if failed_runs >= self._policy.attempts:
                    raise StorageUnavailable(UnavailableCause.CONFLICT, str(conflict)) from conflict
                logger.info("transient conflict (%s): running the unit of work again", conflict)
            except Exception:
                await self._uow.rollback()
                raise
            else:
                return result
            await asyncio.sleep(self._policy.delay(failed_runs))
