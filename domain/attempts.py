"""The rules of rate limits: how attempts are tallied, and how long a tally past its limit holds.

A tally counts the attempts on one key (an address, an account, an account from one address). It
starts at the first attempt and is forgotten when it expires:

- a plain limit ("100 per hour") keeps a fixed window that opens with the first attempt; past the
  limit, attempts wait until the window closes;
- a limit with backoff ("5, then doubling") locks the key once the limit is reached, for
  `first` after the attempt that reached it, twice that after the next one, and so on up to
  `ceiling`. Its tally is kept `window + ceiling` after each attempt, longer than any lock, so an
  attacker who waits out the longest lock is still at the ceiling, not back at the start; a
  success clears it.

Beside them, an attempt whose outcome may give its place back (a signin: a right password is no
failure) is tallied as in flight until that outcome, on a key of its own (`in_flight`): a tally
that never refuses, kept a while after each attempt (longer than an attempt stays in flight), so
that whoever finds a limit reached can tell a limit reached by failures from one reached by
attempts still in flight, and wait for the latter.

The storage adapters implement `Limit.counted` as one atomic update (see the AttemptCounter port):
a new tally, or one that expired, starts at 1 and expires at the end of a window; a live one
counts on and is kept at least `hold` past the attempt.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

# 2**30 times any sane first lock is far beyond any ceiling: the exponent stops there.
_MAX_DOUBLINGS = 30


@dataclass(frozen=True, slots=True)
class Tally:
    count: int
    last_at: datetime
    """When the latest attempt was counted."""
    expires_at: datetime
    """From then on the tally is forgotten, and the next attempt starts a new one."""

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class Backoff:
    first: timedelta
    """The lock after the attempt that reached the limit."""
    ceiling: timedelta
    """No lock is longer."""

    def lock(self, beyond_limit: int) -> timedelta:
        """The lock after the attempt `beyond_limit` attempts past the one that reached it."""
        doubled: timedelta = self.first * 2 ** min(beyond_limit, _MAX_DOUBLINGS)
        return min(doubled, self.ceiling)


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    """Short and stable: it prefixes the storage keys and labels the throttled-attempts metric."""
    attempts: int
    """How many attempts a window allows."""
    window: timedelta
    backoff: Backoff | None = None
    kept: timedelta = timedelta(0)
    """Without backoff: how long a tally is kept after each attempt at least (zero: a fixed
    window)."""

    @property
    def hold(self) -> timedelta:
        """How long a tally is kept after each attempt, beyond its first window."""
        if self.backoff is None:
            return self.kept
        return self.window + self.backoff.ceiling

    def counted(self, tally: Tally | None, now: datetime) -> Tally:
        """The tally after one more attempt at `now`."""
        if tally is None or not tally.is_live(now):
            return Tally(count=1, last_at=now, expires_at=max(now + self.window, now + self.hold))
        return Tally(
            count=tally.count + 1,
            last_at=max(tally.last_at, now),
            expires_at=max(tally.expires_at, now + self.hold),
        )

    def wait(self, tally: Tally | None, now: datetime) -> timedelta:
        """How long the next attempt must wait; zero when it may go ahead."""
        if tally is None or not tally.is_live(now) or tally.count < self.attempts:
            return timedelta(0)
        if self.backoff is None:
            until = tally.expires_at
        else:
            until = tally.last_at + self.backoff.lock(tally.count - self.attempts)
        return max(until - now, timedelta(0))


def without_in_flight(tally: Tally, in_flight: Tally | None) -> Tally:
    """The tally as it will be if every attempt in flight gives its place back."""
    if in_flight is None:
        return tally
    return Tally(max(tally.count - in_flight.count, 0), tally.last_at, tally.expires_at)
