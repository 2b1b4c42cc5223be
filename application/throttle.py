import math
from collections.abc import Mapping, Sequence
from datetime import timedelta

from application.errors import TooManyAttempts
from application.ports import AttemptCounter, Clock, Metrics
from application.rate_limits import Attempt, RateLimitPolicy
from application.transactions import Transactions
from domain.attempts import Tally


class Throttle:
    """Applies the rate limits for the use cases: `check` before any costly work (a password hash,
    a database write), `count` once an attempt is known to count, `clear` when a success forgives
    earlier failures.

    `check` only reads, so an attempt it refuses costs one look-up and nothing else. `count` and
    `clear` write through the caller's unit of work, which commits them. Attempts that check
    together and then run at once may all go ahead; each is counted, and with backoff each one
    lengthens the lock that follows (and the hashing queue bounds how many run at once)."""

    def __init__(
        self, counter: AttemptCounter, policy: RateLimitPolicy, clock: Clock, metrics: Metrics
    ) -> None:
        self._counter = counter
        self.policy = policy
        self._clock = clock
        self._metrics = metrics

    async def check(self, attempts: Sequence[Attempt]) -> Mapping[str, Tally]:
        """The attempts' live tallies by key; raises TooManyAttempts if any limit holds."""
        if not self.policy.enabled or not attempts:
            return {}
        now = self._clock.now()
        tallies = await self._counter.tallies([a.key for a in attempts], now)
        longest, holding = max(
            ((a.limit.wait(tallies.get(a.key), now), a) for a in attempts),
            key=lambda waiting: waiting[0],
        )
        if longest > timedelta(0):
            self._metrics.throttled(holding.limit.name)
            raise TooManyAttempts(retry_after=max(1, math.ceil(longest.total_seconds())))
        return tallies

    async def count_alone(self, attempts: Sequence[Attempt], transactions: Transactions) -> None:
        """Counts in a unit of work of its own, for an attempt that changes nothing else (a
        refused signup, a reset request); none at all while the limits are off."""
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

    async def clear(self, attempt: Attempt) -> None:
        if self.policy.enabled:
            await self._counter.clear(attempt.key)
