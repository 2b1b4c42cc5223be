"""A rate-limit store of its own (Redis) that stops answering must not stop signins: while it is
down, attempts go ahead uncounted and unchecked. Password guessing is then bounded by the hashing
capacity alone (one bcrypt verification per attempt), and the outage is logged. The SQL store is
not wrapped: it is the service's own database, without which no signin can succeed anyway."""

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime

from application.common.errors import TemporarilyUnavailable
from application.ports.attempts import AttemptCounter, AttemptsReserved
from domain.attempts import Limit, Tally

logger = logging.getLogger("authgate")
# One warning a minute at most: an outage would otherwise log on every request.
_WARNING_INTERVAL = 60.0


class FailOpenAttemptCounter(AttemptCounter):
    def __init__(self, inner: AttemptCounter) -> None:
        self._inner = inner
        self._last_warning = -_WARNING_INTERVAL

    async def tallies(self, keys: Sequence[str], now: datetime) -> Mapping[str, Tally]:
        try:
            return await self._inner.tallies(keys, now)
        except TemporarilyUnavailable as error:
            self._warn(error)
            return {}

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        try:
            await self._inner.add(key, limit, now)
        except TemporarilyUnavailable as error:
            self._warn(error)

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        try:
            return await self._inner.reserve(limits, now)
        except TemporarilyUnavailable as error:
            self._warn(error)
            return AttemptsReserved(admitted=True, tallies={})

    async def release(self, keys: Sequence[str], now: datetime, forget: Sequence[str] = ()) -> None:
        try:
            await self._inner.release(keys, now, forget)
        except TemporarilyUnavailable as error:
            self._warn(error)

    def _warn(self, error: TemporarilyUnavailable) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARNING_INTERVAL:
            self._last_warning = now
            logger.warning("rate limits are not applied: their store is unavailable (%s)", error)
