"""The AttemptCounter contract, run on every store: memory, SQL on SQLite, MySQL and PostgreSQL,
and Redis against a real server (TEST_REDIS_URL, default the local one; under CI a Redis that
does not answer fails the run). Each operation runs as a request would: in a unit of work of its
own, committed, with transient conflicts retried; a refused reservation's is rolled back, as the
Throttle does."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryAttemptCounter, InMemorySessionStore, InMemoryStorage
from adapters.redis.attempts import KEY_PREFIX, RedisAttemptCounter
from adapters.redis.client import create_redis
from adapters.sqlalchemy.attempts import SqlAlchemyAttemptCounter
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from application.ports.attempts import AttemptCounter, AttemptsReserved
from application.shared.transactions import RetryPolicy, Transactions
from domain.attempts import Backoff, Limit, Tally
from tests.storages import SQL_STORAGES, migrate

_T = TypeVar("_T")

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"
HOUR = Limit("contract_hour", 3, timedelta(hours=1))
BACKOFF = Limit(
    "contract_backoff",
    2,
    timedelta(minutes=15),
    Backoff(first=timedelta(minutes=1), ceiling=timedelta(minutes=15)),
)
RETRIES = RetryPolicy(attempts=20, backoff=timedelta(milliseconds=20))
# Redis keeps milliseconds; the SQL stores and memory keep microseconds.
PRECISION = timedelta(milliseconds=1)

Work = Callable[[AttemptCounter], Awaitable[_T]]


class Store:
    """One kind of storage, with a fresh counter for every unit of work."""

    def __init__(self, kind: str, engine: AsyncEngine | None = None, **parts: Any) -> None:
        self.kind = kind
        self._engine = engine
        self._parts = parts

    @property
    def engine(self) -> AsyncEngine | None:
        return self._engine

    async def run(self, work: Work[_T]) -> _T:
        if self._engine is None:
            counter = self._parts["counter"]
            result: _T = await work(counter)
            return result
        database = SqlAlchemyDatabase(self._engine, deadline=30)
        try:
            counter = SqlAlchemyAttemptCounter(database)
            return await Transactions(database, RETRIES).run(lambda: work(counter))
        finally:
            await database.close()

    async def purge(self, now: datetime) -> None:
        if self._engine is None:
            await InMemorySessionStore(self._parts["storage"]).purge(now)
            return
        database = SqlAlchemyDatabase(self._engine, deadline=30)
        try:
            await Transactions(database, RETRIES).run(
                lambda: SqlAlchemySessionStore(database).purge(now)
            )
        finally:
            await database.close()

    async def tally(self, key: str, now: datetime) -> Tally | None:
        return (await self.run(lambda counter: counter.tallies([key], now))).get(key)

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        await self.run(lambda counter: counter.add(key, limit, now))

    async def reserve(self, limits: dict[str, Limit], now: datetime) -> AttemptsReserved:
        async def admitted(counter: AttemptCounter) -> AttemptsReserved:
            reserved = await counter.reserve(limits, now)
            if not reserved.admitted:
                raise _Refused(reserved)
            return reserved

        try:
            return await self.run(admitted)
        except _Refused as refused:
            return refused.reserved

    async def release(self, keys: list[str], now: datetime, forget: tuple[str, ...] = ()) -> None:
        await self.run(lambda counter: counter.release(keys, now, forget))


class _Refused(Exception):
    """Rolls a refused reservation's unit of work back."""

    def __init__(self, reserved: AttemptsReserved) -> None:
        super().__init__("refused")
        self.reserved = reserved


async def redis_or_skip() -> Redis:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    client = create_redis(url, timeout=2)
    try:
        await client.ping()
    except Exception as error:
        await client.aclose()
        reason = f"no Redis answers at {url} ({type(error).__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"Redis tests must run under CI: {reason}", pytrace=False)
        pytest.skip(f"Redis tests skipped: {reason}")
    return client


@pytest.fixture(params=["memory", *SQL_STORAGES, "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    kind = request.param
    if kind == "memory":
        storage = InMemoryStorage()
        yield Store(kind, counter=InMemoryAttemptCounter(storage), storage=storage)
    elif kind == "redis":
        client = await redis_or_skip()
        yield Store(kind, counter=RedisAttemptCounter(client))
        await client.aclose()
    else:
        url: str | URL
        if kind == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'limits.sqlite3'}"
            await migrate(url)
        else:
            url = request.getfixturevalue(f"{kind}_url")
        engine = create_engine(url, pool_size=30, deadline=30)
        yield Store(kind, engine)
        await engine.dispose()


def new_key() -> str:
    # Random: stores that outlive a test (MySQL, PostgreSQL, Redis) never see one key twice.
    return f"contract:{secrets.token_hex(8)}"


def close(moment: datetime | None, expected: datetime) -> bool:
    return moment is not None and abs(moment - expected) <= PRECISION


async def test_attempts_count_in_a_window_that_opens_with_the_first(store: Store) -> None:
    key, start = new_key(), datetime.now(UTC)

    for seconds in (0, 1, 2):
        await store.add(key, HOUR, start + timedelta(seconds=seconds))

    tally = await store.tally(key, start + timedelta(seconds=3))
    assert tally is not None
    assert tally.count == 3
    assert close(tally.last_at, start + timedelta(seconds=2))
    assert close(tally.expires_at, start + HOUR.window)


async def test_keys_without_a_tally_are_left_out(store: Store) -> None:
    counted, never = new_key(), new_key()
    now = datetime.now(UTC)
    await store.add(counted, HOUR, now)

    tallies = await store.run(lambda counter: counter.tallies([counted, never], now))

    assert set(tallies) == {counted}


async def test_a_limit_with_backoff_keeps_its_tally_after_each_attempt(store: Store) -> None:
    key, start = new_key(), datetime.now(UTC)
    later = start + timedelta(minutes=5)

    await store.add(key, BACKOFF, start)
    await store.add(key, BACKOFF, later)

    tally = await store.tally(key, later)
    assert tally is not None
    assert tally.count == 2
    assert close(tally.expires_at, later + BACKOFF.hold)
    assert close(tally.last_at, later)


async def test_an_expired_tally_is_forgotten_and_the_next_attempt_starts_over(
    store: Store,
) -> None:
    # Real time, short windows: Redis forgets by its own clock.
    brief = Limit("contract_brief", 2, timedelta(milliseconds=300))
    key = new_key()
    await store.add(key, brief, datetime.now(UTC))
    await store.add(key, brief, datetime.now(UTC))

    await asyncio.sleep(0.5)

    assert await store.tally(key, datetime.now(UTC)) is None
    now = datetime.now(UTC)
    await store.add(key, brief, now)
    tally = await store.tally(key, now)
    assert tally is not None
    assert tally.count == 1
    assert close(tally.expires_at, now + brief.window)


@pytest.mark.parametrize("attempts", [20])
async def test_concurrent_attempts_all_count(store: Store, attempts: int) -> None:
    key, now = new_key(), datetime.now(UTC)

    # On a key that does not exist yet: the racing inserts must turn into updates.
    await asyncio.gather(*(store.add(key, HOUR, now) for _ in range(attempts)))

    tally = await store.tally(key, now)
    assert tally is not None
    assert tally.count == attempts


async def test_the_session_purge_deletes_expired_tallies(store: Store) -> None:
    if store.kind == "redis":
        pytest.skip("Redis expires its keys itself")
    expired, live, start = new_key(), new_key(), datetime.now(UTC)
    await store.add(expired, HOUR, start - 2 * HOUR.window)
    await store.add(live, HOUR, start)

    await store.purge(start)

    # Read as of long ago: only rows still stored can answer.
    long_ago = start - 3 * HOUR.window
    tallies = await store.run(lambda counter: counter.tallies([expired, live], long_ago))
    assert set(tallies) == {live}


async def test_redis_forgets_tallies_by_itself() -> None:
    client = await redis_or_skip()
    try:
        key, now = new_key(), datetime.now(UTC)
        await RedisAttemptCounter(client).add(key, BACKOFF, now)

        remaining = await client.pttl(KEY_PREFIX + key)

        hold = BACKOFF.hold / timedelta(milliseconds=1)
        assert hold - 5000 < remaining <= hold
    finally:
        await client.aclose()


async def test_a_reservation_counts_on_every_key_when_every_limit_admits_it(store: Store) -> None:
    hourly, backing_off, now = new_key(), new_key(), datetime.now(UTC)
    await store.add(hourly, HOUR, now - timedelta(minutes=1))

    reserved = await store.reserve({hourly: HOUR, backing_off: BACKOFF}, now)

    assert reserved.admitted
    assert set(reserved.tallies) == {hourly}
    assert reserved.tallies[hourly].count == 1
    first, second = await store.tally(hourly, now), await store.tally(backing_off, now)
    assert first is not None
    assert second is not None
    assert first.count == 2
    assert close(first.expires_at, now - timedelta(minutes=1) + HOUR.window)
    assert second.count == 1
    assert close(second.last_at, now)
    assert close(second.expires_at, now + BACKOFF.hold)


@pytest.mark.parametrize("store", SQL_STORAGES, indirect=True)
async def test_a_reservation_runs_only_statements_compiled_before(store: Store) -> None:
    """Every signin reserves: a statement SQLAlchemy cannot cache (a multi-row VALUES) was
    compiled anew each time, about half a millisecond of CPU, twice a signin."""
    engine = store.engine
    assert engine is not None
    now = datetime.now(UTC)
    await store.reserve({new_key(): HOUR, new_key(): HOUR}, now)
    statements: list[tuple[str, CacheStats]] = []

    def record(*args: Any) -> None:
        _, _, statement, _, context, _ = args
        statements.append((statement.split()[0], context.cache_hit))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        reserved = await store.reserve({new_key(): HOUR, new_key(): HOUR}, now)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    assert reserved.admitted
    assert {verb for verb, _ in statements} == {"INSERT", "SELECT"}
    assert all(cache is CacheStats.CACHE_HIT for _, cache in statements), statements


async def test_a_reservation_one_limit_refuses_counts_on_no_key(store: Store) -> None:
    full, other, now = new_key(), new_key(), datetime.now(UTC)
    for _ in range(HOUR.attempts):
        await store.add(full, HOUR, now)

    reserved = await store.reserve({other: HOUR, full: HOUR}, now)

    assert not reserved.admitted
    assert reserved.tallies[full].count == HOUR.attempts
    assert other not in reserved.tallies
    assert await store.tally(other, now) is None
    tally = await store.tally(full, now)
    assert tally is not None
    assert tally.count == HOUR.attempts


async def test_a_reservation_waits_out_the_backoff_lock(store: Store) -> None:
    key, start = new_key(), datetime.now(UTC)
    for _ in range(BACKOFF.attempts):
        assert (await store.reserve({key: BACKOFF}, start)).admitted

    locked = await store.reserve({key: BACKOFF}, start + timedelta(seconds=59))
    lifted = await store.reserve({key: BACKOFF}, start + timedelta(seconds=61))
    doubled = await store.reserve({key: BACKOFF}, start + timedelta(seconds=61 + 119))

    assert not locked.admitted
    assert lifted.admitted
    assert not doubled.admitted
    tally = await store.tally(key, start + timedelta(seconds=61))
    assert tally is not None
    assert tally.count == BACKOFF.attempts + 1
    assert close(tally.last_at, start + timedelta(seconds=61))


async def test_a_reservation_on_an_expired_tally_starts_over(store: Store) -> None:
    brief = Limit("contract_brief", 2, timedelta(milliseconds=300))
    key = new_key()
    for _ in range(2):
        assert (await store.reserve({key: brief}, datetime.now(UTC))).admitted
    assert not (await store.reserve({key: brief}, datetime.now(UTC))).admitted

    await asyncio.sleep(0.5)

    now = datetime.now(UTC)
    reserved = await store.reserve({key: brief}, now)
    assert reserved.admitted
    assert reserved.tallies == {}
    tally = await store.tally(key, now)
    assert tally is not None
    assert tally.count == 1
    assert close(tally.expires_at, now + brief.window)


@pytest.mark.parametrize("attempts", [20])
async def test_of_concurrent_reservations_exactly_the_limit_is_admitted(
    store: Store, attempts: int
) -> None:
    """The burst the reservation exists for: on keys that do not exist yet, and on a key that
    does, the reservations race, and as many are admitted as the tightest limit allows; the
    refused ones count nowhere."""
    fresh, shared, now = new_key(), new_key(), datetime.now(UTC)
    generous = Limit("contract_generous", 1000, timedelta(hours=1))
    await store.add(shared, generous, now)

    answers = await asyncio.gather(
        *(store.reserve({fresh: HOUR, shared: generous}, now) for _ in range(attempts))
    )

    assert sum(reserved.admitted for reserved in answers) == HOUR.attempts
    counted, also = await store.tally(fresh, now), await store.tally(shared, now)
    assert counted is not None
    assert also is not None
    assert counted.count == HOUR.attempts
    assert also.count == 1 + HOUR.attempts


async def test_reservations_sharing_keys_in_any_order_do_not_deadlock(store: Store) -> None:
    first, second, third, now = new_key(), new_key(), new_key(), datetime.now(UTC)
    generous = Limit("contract_generous", 1000, timedelta(hours=1))
    orders = [(first, second, third), (third, second, first), (second, third), (third, first)]

    answers = await asyncio.gather(
        *(store.reserve(dict.fromkeys(keys, generous), now) for keys in orders * 5)
    )

    assert all(reserved.admitted for reserved in answers)
    tallies = await store.run(lambda counter: counter.tallies([first, second, third], now))
    assert [tallies[key].count for key in (first, second, third)] == [15, 15, 20]


async def test_a_release_gives_one_attempt_back_and_never_goes_below_zero(store: Store) -> None:
    key, other, now = new_key(), new_key(), datetime.now(UTC)
    for _ in range(2):
        await store.reserve({key: HOUR, other: HOUR}, now)

    await store.release([key], now)
    once = await store.tally(key, now)
    for _ in range(3):
        await store.release([key], now)

    assert once is not None
    assert once.count == 1
    tally = await store.tally(key, now)
    assert tally is not None
    assert tally.count == 0
    assert close(tally.expires_at, now + HOUR.window)
    untouched = await store.tally(other, now)
    assert untouched is not None
    assert untouched.count == 2
    assert (await store.reserve({key: HOUR}, now)).admitted
    again = await store.tally(key, now)
    assert again is not None
    assert again.count == 1


async def test_a_release_leaves_an_expired_tally_expired(store: Store) -> None:
    brief = Limit("contract_brief", 2, timedelta(milliseconds=300))
    key = new_key()
    await store.reserve({key: brief}, datetime.now(UTC))
    await asyncio.sleep(0.5)

    await store.release([key], datetime.now(UTC))

    now = datetime.now(UTC)
    assert await store.tally(key, now) is None
    await store.reserve({key: brief}, now)
    tally = await store.tally(key, now)
    assert tally is not None
    assert tally.count == 1


async def test_a_release_after_the_tally_expired_gives_nothing_back(store: Store) -> None:
    key, now = new_key(), datetime.now(UTC)
    await store.reserve({key: HOUR}, now)

    await store.release([key], now + HOUR.window + timedelta(seconds=1))

    # A server whose clock runs behind the releasing one's still reads the tally as it was.
    tally = await store.tally(key, now)
    assert tally is not None
    assert tally.count == 1


async def test_a_release_forgets_the_tallies_it_is_told_to(store: Store) -> None:
    forgotten, given_back, now = new_key(), new_key(), datetime.now(UTC)
    for _ in range(2):
        await store.reserve({forgotten: BACKOFF, given_back: HOUR}, now)

    await store.release([given_back], now, forget=(forgotten,))

    assert await store.tally(forgotten, now) is None
    # Gone for a server whose clock runs behind too.
    assert await store.tally(forgotten, now - timedelta(days=1)) is None
    tally = await store.tally(given_back, now)
    assert tally is not None
    assert tally.count == 1
    assert (await store.reserve({forgotten: BACKOFF}, now)).admitted
    fresh = await store.tally(forgotten, now)
    assert fresh is not None
    assert fresh.count == 1
