"""Test doubles of the ports, shared by every kind of test: one clock, one counting hasher, one
session store that yields like a database round trip."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from dishka import Provider, Scope, provide

from application.common.outcomes import RefreshOutcome, SigninOutcome
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.passwords import PasswordHasher
from application.ports.sessions import SessionStore
from domain.session import IssuedRefreshToken, Session
from domain.values import PasswordHash, RawPassword


class FakeClock(Clock):
    """A clock the test moves by hand. It starts at the wall clock's time, so that a server in
    another process (which runs on the wall clock) agrees with it about tokens issued here."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> None:
        self._now += by


class ClockProvider(Provider):
    """Puts the fake clock in place of the system clock in a container built for a test."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return self._clock


class CountingHasher(PasswordHasher):
    """Passes every call to a real hasher and counts them."""

    def __init__(self, inner: PasswordHasher) -> None:
        self._inner = inner
        self.hashes = 0
        self.verifications = 0

    async def hash(self, password: RawPassword) -> PasswordHash:
        self.hashes += 1
        return await self._inner.hash(password)

    async def verify(self, password: str, stored: PasswordHash | None) -> bool:
        self.verifications += 1
        return await self._inner.verify(password, stored)

    def needs_rehash(self, stored: PasswordHash) -> bool:
        return self._inner.needs_rehash(stored)


class YieldingSessionStore(SessionStore):
    """Lets other tasks run before every storage call, as a database round trip would, so that
    concurrent refreshes really interleave."""

    def __init__(self, inner: SessionStore) -> None:
        self._inner = inner

    async def start(self, session: Session, first_token: IssuedRefreshToken) -> None:
        await asyncio.sleep(0)
        await self._inner.start(session, first_token)

    async def find_by_refresh_digest(
        self, digest: str
    ) -> tuple[IssuedRefreshToken, Session] | None:
        await asyncio.sleep(0)
        return await self._inner.find_by_refresh_digest(digest)

    async def rotate(
        self, session: Session, retired_at: datetime, next_token: IssuedRefreshToken
    ) -> bool:
        await asyncio.sleep(0)
        return await self._inner.rotate(session, retired_at, next_token)

    async def revoke(self, session_id: str, at: datetime) -> None:
        await asyncio.sleep(0)
        await self._inner.revoke(session_id, at)

    async def live_sessions(self, user_id: int, now: datetime) -> list[Session]:
        await asyncio.sleep(0)
        return await self._inner.live_sessions(user_id, now)

    async def revoke_of_user(self, user_id: int, session_id: str, at: datetime) -> bool:
        await asyncio.sleep(0)
        return await self._inner.revoke_of_user(user_id, session_id, at)

    async def revoke_all_of_user(self, user_id: int, at: datetime, keep: str | None = None) -> int:
        await asyncio.sleep(0)
        return await self._inner.revoke_all_of_user(user_id, at, keep)

    async def purge(self, now: datetime) -> int:
        await asyncio.sleep(0)
        return await self._inner.purge(now)


class CountingMetrics(Metrics):
    """Counts in this object, by name and label: for tests that assert what a use case reported.
    The service itself reports through PrometheusMetrics."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def signin(self, outcome: SigninOutcome) -> None:
        self.counts["signin", outcome.value] += 1

    def refresh(self, outcome: RefreshOutcome) -> None:
        self.counts["refresh", outcome.value] += 1

    def throttled(self, limit: str) -> None:
        self.counts["throttled", limit] += 1

    def hashing_wait(self, seconds: float) -> None:
        self.counts["hashing_wait", "observed"] += 1

    def unavailable(self, kind: str) -> None:
        self.counts["unavailable", kind] += 1


class CountingMetricsProvider(Provider):
    """Metrics counted in the test's own object, instead of Prometheus's process-wide registry
    that every test of the run adds to."""

    @provide(scope=Scope.APP)
    def metrics(self) -> Metrics:
        return CountingMetrics()
