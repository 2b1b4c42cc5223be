import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.common.errors import TemporarilyUnavailable, TooManyAttempts
from application.ports.attempts import AttemptCounter
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.shared.rate_limits import Attempt, RateLimitPolicy
from application.shared.transactions import Transactions
from domain.attempts import Tally, without_in_flight

_NONE = timedelta(0)
# An attempt in flight resolves in about one hash: the first look again comes soon, the later
# ones less often.
_FIRST_PAUSE = 0.005
_LONGEST_PAUSE = 0.1


@dataclass(frozen=True, slots=True)
class Reservation:
    """The places one attempt took before its costly work, as `Throttle.reserve` gave them."""

    attempts: tuple[Attempt, ...]
    """Each counted once; none when the limits are off."""
    in_flight: tuple[Attempt, ...]
    """The tallies that count this attempt as in flight until its outcome, if it may give its
    places back."""
    before: Mapping[str, Tally]
    """The live tallies the attempt was admitted on, by key."""
    at: datetime

    def counted(self, attempt: Attempt) -> Tally:
        """The tally this attempt was counted in (later attempts may have counted on since)."""
        return attempt.limit.counted(self.before.get(attempt.key), self.at)

    def now_holding(self) -> list[str]:
        """The limits that let this attempt go ahead and hold after it: it reached them."""
        return [
            a.limit.name for a in self.attempts if a.limit.wait(self.counted(a), self.at) > _NONE
        ]


@dataclass(slots=True)
class _Line:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class ReservationQueue:
    """Lines up one process's reservations of the same keys, so that they reach the store one at
    a time. The store still decides (other processes and servers reserve the same keys); what
    the line saves is contention that decides nothing: concurrent reservations of one key in one
    process would only wait for each other on its row lock, and on a multi-primary cluster every
    one of them holding that lock is aborted when another node's reservation of the key commits,
    and runs again. One per process (the container's APP scope)."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, ...], _Line] = {}

    @contextlib.asynccontextmanager
    async def turn(self, keys: tuple[str, ...]) -> AsyncIterator[bool]:
        """Waits for the turn of a reservation of `keys`; yields whether another was ahead."""
        line = self._lines.get(keys)
        if line is None:
            line = self._lines[keys] = _Line()
        line.waiting += 1
        queued = line.lock.locked()
        try:
            async with line.lock:
                yield queued
        finally:
            line.waiting -= 1
            if not line.waiting:
                del self._lines[keys]


class _Refused(Exception):
    """A reservation refused, raised in its unit of work so that it rolls back."""

    def __init__(self, tallies: Mapping[str, Tally], now: datetime) -> None:
        self.tallies = tallies
        self.now = now


class Throttle:
    """Applies the rate limits for the use cases.

    `reserve` before any costly work (a password hash, a mail): in a short unit of work of its own,
    committed at once, it counts the attempt on every key if every limit lets it go ahead, and
    refuses it otherwise, having counted nothing. Reading, deciding and counting are one atomic
    step in the store, so concurrent attempts, on any worker or server, are admitted exactly as
    far as the limits allow, and a refused attempt costs that step alone. An attempt that turns out
    not to count gives its place back with `release` (in the unit of work of its outcome). An
    attempt whose outcome may give its place back is also tallied in flight until that outcome,
    so that the attempts after it can tell a limit reached by failures from one reached by
    attempts still in flight, and wait for the latter (see `reserve`).

    `check` and `count` are the older pair, for counts that only an outcome decides (a refresh):
    `check` only reads, and `count` writes through the caller's unit of work, so attempts that check
    together may all go ahead before any is counted."""

    def __init__(
        self,
        counter: AttemptCounter,
        policy: RateLimitPolicy,
        clock: Clock,
        metrics: Metrics,
        queue: ReservationQueue,
    ) -> None:
        self._counter = counter
        self.policy = policy
        self._clock = clock
        self._metrics = metrics
        self._queue = queue

    async def reserve(
        self,
        attempts: Sequence[Attempt],
        transactions: Transactions,
        *,
        may_give_back: bool = False,
    ) -> Reservation:
        """Counts the attempt on every key, committed; raises TooManyAttempts, having counted
        nothing, if any limit holds.

        `may_give_back`: the attempt's outcome may give its places back (a right password is no
        failure). It is then tallied in flight until its outcome (`release`, or `resolve`), and
        an attempt that finds a limit reached only by attempts still in flight does not take
        that for guessing: it looks again as they resolve, up to the policy's `in_flight_wait`,
        and is refused only if the limit still holds. Every look is a reservation, so a burst
        of failures is still held to the limit exactly."""
        if not self.policy.enabled or not attempts:
            return Reservation((), (), {}, self._clock.now())
        in_flight = tuple(self.policy.in_flight(a) for a in attempts) if may_give_back else ()
        limits = {a.key: a.limit for a in sorted((*attempts, *in_flight), key=lambda a: a.key)}

        async def take() -> Reservation:
            now = self._clock.now()
            reserved = await self._counter.reserve(limits, now)
            if not reserved.admitted:
                # Raised in the unit of work, which rolls back whatever the store wrote to decide.
                raise _Refused(reserved.tallies, now)
            return Reservation(tuple(attempts), in_flight, reserved.tallies, now)

        async def look() -> _Refused | None:
            """The tallies as they stand, read without a lock: a refusal if a limit holds."""
            now = self._clock.now()
            tallies = await self._counter.tallies(list(limits), now)
            if all(a.limit.wait(tallies.get(a.key), now) <= _NONE for a in attempts):
                return None
            return _Refused(tallies, now)

        pauses = self._pauses() if in_flight else iter(())
        line = tuple(limits)
        while True:
            async with self._queue.turn(line) as queued:
                # Reservations of these keys went ahead of this one while it waited: a limit they
                # reached is read first, so that a burst's refusals lock nothing. (Tallies only
                # grow while they live, but for places given back, which the reservation after
                # a refusal held in flight finds.)
                refused = await transactions.run(look) if queued else None
                if refused is None:
                    try:
                        return await transactions.run(take)
                    except _Refused as refusal:
                        refused = refusal
            pause = next(pauses, None) if self._held_in_flight(attempts, refused) else None
            if pause is None:
                raise self._refusal(attempts, refused.tallies, refused.now) from None
            await asyncio.sleep(pause)

    def _held_in_flight(self, attempts: Sequence[Attempt], refused: _Refused) -> bool:
        """Whether every limit that refused would let the attempt go ahead once the attempts in
        flight gave their places back."""
        tallies, now = refused.tallies, refused.now
        for each in attempts:
            tally = tallies.get(each.key)
            if tally is None or each.limit.wait(tally, now) <= _NONE:
                continue
            in_flight = tallies.get(self.policy.in_flight(each).key)
            if each.limit.wait(without_in_flight(tally, in_flight), now) > _NONE:
                return False
        return True

    def _pauses(self) -> Iterator[float]:
        """Doubling, and adding up to the policy's `in_flight_wait`."""
        left, pause = self.policy.in_flight_wait.total_seconds(), _FIRST_PAUSE
        while left > 0:
            yield min(pause, left)
            left -= pause
            pause = min(pause * 2, _LONGEST_PAUSE)

    async def resolve(self, reservation: Reservation) -> None:
        """The attempt's outcome keeps its places (a failure): it is in flight no more. Through
        the caller's unit of work."""
        if reservation.in_flight:
            await self.release(reservation, ())

    async def release(
        self, reservation: Reservation, attempts: Sequence[Attempt], forget: Sequence[Attempt] = ()
    ) -> None:
        """Gives back the reservation's place on `attempts` and forgets the tallies of `forget`,
        through the caller's unit of work; the attempt is in flight no more. A place is given
        back only while the tally it was taken in lives: once that expired, a tally on the key is
        a later one, not this attempt's."""
        if not reservation.attempts:
            return
        now = self._clock.now()
        given_back = (*attempts, *reservation.in_flight)
        keys = [a.key for a in given_back if reservation.counted(a).is_live(now)]
        await self._counter.release(keys, now, [a.key for a in forget])

    async def release_alone(
        self, reservation: Reservation, transactions: Transactions, *, unchecked: bool = False
    ) -> None:
        """Gives back all the reservation's places in a unit of work of their own. `unchecked`:
        for an attempt whose password was never checked because the service failed (no hashing
        slot, the database): the places are given back if the storage lets them, and the
        caller's error is what the client hears."""
        if not reservation.attempts:
            return
        try:
            await transactions.run(lambda: self.release(reservation, reservation.attempts))
        except TemporarilyUnavailable:
            if not unchecked:
                raise

    async def check(self, attempts: Sequence[Attempt]) -> Mapping[str, Tally]:
        """The attempts' live tallies by key; raises TooManyAttempts if any limit holds."""
        if not self.policy.enabled or not attempts:
            return {}
        now = self._clock.now()
        tallies = await self._counter.tallies([a.key for a in attempts], now)
        if any(a.limit.wait(tallies.get(a.key), now) > _NONE for a in attempts):
            raise self._refusal(attempts, tallies, now)
        return tallies

    async def count_alone(self, attempts: Sequence[Attempt], transactions: Transactions) -> None:
        """Counts in a unit of work of its own, for an attempt that changes nothing else; none at
        all while the limits are off."""
        if self.policy.enabled and attempts:
            await transactions.run(lambda: self.count(attempts))

    async def count(self, attempts: Sequence[Attempt]) -> None:
        if not self.policy.enabled:
            return
        now = self._clock.now()
        # Always in the same order, so that two transactions counting the same keys on a SQL
        # database take their row locks in the same order and cannot deadlock on them.
        for each in sorted(attempts, key=lambda a: a.key):
            await self._counter.add(each.key, each.limit, now)

    def _refusal(
        self, attempts: Sequence[Attempt], tallies: Mapping[str, Tally], now: datetime
    ) -> TooManyAttempts:
        longest, holding = max(
            ((a.limit.wait(tallies.get(a.key), now), a) for a in attempts),
            key=lambda waiting: waiting[0],
        )
        self._metrics.throttled(holding.limit.name)
        # At least a second: a store that decides on its own clock (Redis, to the millisecond)
        # may refuse where this reading of its tallies finds the wait just over.
        return TooManyAttempts(retry_after=max(1, math.ceil(longest.total_seconds())))
