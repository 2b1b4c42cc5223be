import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import bcrypt

from adapters.hashing_places import HashingPlaces
from application.common.errors import HashingUnavailable
from application.common.outcomes import UnavailableCause
from application.ports.metrics import Metrics
from application.ports.passwords import PasswordHasher
from domain.values import PASSWORD_MAX_BYTES, PasswordHash, RawPassword, utf8_or_none

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Hashed(Generic[_T]):
    value: _T
    place_wait: float
    """How long the thread waited for one of the server's hashing places before it hashed."""


class BcryptPasswordHasher(PasswordHasher):
    """bcrypt on a bounded thread pool: bcrypt releases the GIL, so hashes run in parallel on all
    cores while the event loop keeps serving other requests.

    One slot per thread: a hash waits at most `queue_timeout` seconds for one, then the request
    is refused as busy (HashingUnavailable) instead of joining a queue that only grows under a
    flood of signins. With `places`, the thread also takes one of the places the server's workers
    share before it hashes, so that together they hash on no more threads than there are
    places."""

    def __init__(
        self,
        cost: int,
        executor: ThreadPoolExecutor,
        *,
        slots: int,
        queue_timeout: float,
        metrics: Metrics | None = None,
        places: HashingPlaces | None = None,
    ) -> None:
        if not 4 <= cost <= 31:
            raise ValueError(f"bcrypt cost must be between 4 and 31, not {cost}")
        self._cost = cost
        self._executor = executor
        self._slots = asyncio.Semaphore(slots)
        self._queue_timeout = queue_timeout
        self._metrics = metrics
        self._places = places
        self._decoy: bytes | None = None

    async def hash(self, password: RawPassword) -> PasswordHash:
        hashed = await self._run(bcrypt.hashpw, password.utf8, bcrypt.gensalt(self._cost))
        return PasswordHash(hashed.decode())

    async def verify(self, password: str, stored: PasswordHash | None) -> bool:
        candidate = utf8_or_none(password) or b""
        if stored is None or not candidate or len(candidate) > PASSWORD_MAX_BYTES:
            await self._run(
                bcrypt.checkpw, candidate[:PASSWORD_MAX_BYTES], await self._decoy_hash()
            )
            return False
        try:
            return await self._run(bcrypt.checkpw, candidate, stored.value.encode())
        except ValueError:
            # A corrupt stored hash must not let anyone in, nor crash the request.
            return False

    def needs_rehash(self, stored: PasswordHash) -> bool:
        # "$2b$12$...": the cost is the two digits after the second "$".
        parts = stored.value.split("$")
        return len(parts) < 4 or parts[1] != "2b" or parts[2] != f"{self._cost:02d}"

    async def _decoy_hash(self) -> bytes:
        if self._decoy is None:
            self._decoy = await self._run(
                bcrypt.hashpw, b"decoy password for unknown users", bcrypt.gensalt(self._cost)
            )
        return self._decoy

    async def _run(self, function: Callable[..., _T], *args: object) -> _T:
        loop = asyncio.get_running_loop()
        queued_at = loop.time()
        try:
            async with asyncio.timeout(self._queue_timeout):
                await self._slots.acquire()
        except TimeoutError:
            self._observe_wait(loop.time() - queued_at)
            raise HashingUnavailable(
                UnavailableCause.HASHING, "no hashing slot came free in time"
            ) from None
        slot_wait = loop.time() - queued_at
        future = loop.run_in_executor(self._executor, _in_place, self._places, function, *args)
        # The slot is free when the thread is, even if the request gave up waiting for it; the
        # wait is observed then too, the thread's wait for a place included.
        future.add_done_callback(lambda done: self._finished(done, slot_wait))
        return (await asyncio.shield(future)).value

    def _finished(self, done: asyncio.Future[_Hashed[Any]], slot_wait: float) -> None:
        self._slots.release()
        place_wait = 0.0 if done.cancelled() or done.exception() else done.result().place_wait
        self._observe_wait(slot_wait + place_wait)

    def _observe_wait(self, seconds: float) -> None:
        if self._metrics is not None:
            self._metrics.hashing_wait(seconds)


def _in_place(
    places: HashingPlaces | None, function: Callable[..., _T], *args: object
) -> _Hashed[_T]:
    """On the hashing thread: the hash, once one of the server's hashing places is free (at
    once when the worker serves alone)."""
    if places is None:
        return _Hashed(function(*args), 0.0)
    started = time.monotonic()
    with places.held():
        waited = time.monotonic() - started
        return _Hashed(function(*args), waited)
