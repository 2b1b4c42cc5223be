"""The AttemptCounter contract, run on every store: memory, SQL on SQLite and on MySQL, and Redis
against a real server (TEST_REDIS_URL, default the local one; under CI a Redis that does not
answer fails the run). Each operation runs as a request would: in a unit of work of its own,
committed, with transient conflicts retried."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryAttemptCounter, InMemorySessionStore, InMemoryStorage
from adapters.redis.attempts import KEY_PREFIX, RedisAttemptCounter
from adapters.redis.client import create_redis
from adapters.sqlalchemy.attempts import SqlAlchemyAttemptCounter
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from application.ports import AttemptCounter
from application.transactions import RetryPolicy, Transactions
from domain.attempts import Backoff, Limit, Tally
from tests.storages import migrate

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


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("mysql", marks=pytest.mark.mysql), "redis"]
)
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
            url = request.getfixturevalue("mysql_url")
        engine = create_engine(url, pool_size=30, deadline=30)
        yield Store(kind, engine)
        await engine.dispose()


def new_key() -> str:
    # Random: stores that outlive a test (MySQL, Redis) never see one key twice.
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


async def test_clearing_forgets_the_tally(store: Store) -> None:
    key, now = new_key(), datetime.now(UTC)
    await store.add(key, BACKOFF, now)

    await store.run(lambda counter: counter.clear(key))

    assert await store.tally(key, now) is None


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
