"""Real transient conflicts, provoked on real databases: a deadlock on MySQL and on PostgreSQL, a
busy SQLite file.
The service runs the unit of work again; a client sees 200, or 503 when the conflict outlasts the
deadline, never 500."""

import asyncio
import logging
import pathlib
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import create_engine
from application.common.errors import StorageConflict
from application.shared.transactions import RetryPolicy, Transactions
from domain.session import digest_of
from tests.service import Service
from tests.storages import SERVER_STORAGES

DEADLINE = 1.0


# Each server's code for a deadlock, as the retry's log line names it.
DEADLOCK = {"mysql": "1213", "postgresql": "40P01"}


@pytest.mark.parametrize("database_url", SERVER_STORAGES, indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"db_deadline": 5.0}])
async def test_a_refresh_chosen_as_a_deadlock_victim_is_run_again(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL looks for a deadlock once a lock has been waited for `deadlock_timeout` (1 s by
    default), and the refresh, which waits first, is the one that finds it: the victim there
    too."""
    # Retries are logged at INFO; alone, this file would see only what the root's level lets by.
    caplog.set_level(logging.INFO, logger="authgate")
    user = await service.signed_in("alice")
    for _ in range(20):  # sessions the other transaction changes, so InnoDB spares it
        await service.signin("alice")
    other = create_engine(service.settings.database.url, pool_size=1, deadline=30)
    try:
        async with other.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT session_id FROM refresh_tokens WHERE digest = :d"),
                    {"d": digest_of(user["refreshToken"])},
                )
            ).one()
            session_id = row.session_id
            await connection.execute(
                text(
                    "UPDATE sessions SET generation = generation + 9"
                    " WHERE user_id = :u AND id <> :s"
                ),
                {"u": user["id"], "s": session_id},
            )
            await connection.execute(
                text("SELECT id FROM sessions WHERE id = :s FOR UPDATE"), {"s": session_id}
            )
            refresh = asyncio.create_task(
                service.client.post(
                    "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
                )
            )
            await asyncio.sleep(0.3)  # the refresh now holds its token row and waits for ours
            # Ours now waits for the refresh's row: a cycle. InnoDB rolls back the lighter one.
            await connection.execute(
                text("UPDATE refresh_tokens SET issued_at = issued_at WHERE digest = :d"),
                {"d": digest_of(user["refreshToken"])},
            )
            await asyncio.sleep(0.2)
            await connection.rollback()
        response = await refresh
        code = DEADLOCK[other.dialect.name]
    finally:
        await other.dispose()

    assert response.status_code == 200, response.text
    assert f"transient conflict (deadlock ({code})): running the unit of work again" in (
        caplog.messages
    )
    assert (await service.get("/api/test/user", response.json()["accessToken"])).status_code == 200


def hold_write_lock(path: str, seconds: float, until: threading.Event | None = None) -> None:
    """Another process's writer, in a thread: takes SQLite's write lock and keeps it `seconds`,
    or, given `until`, until that is set (at most `seconds`)."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        if until is None:
            time.sleep(seconds)
        else:
            until.wait(seconds)
        holder.execute("ROLLBACK")
    finally:
        holder.close()


class _SetOnLockedRetry(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "database is locked" in record.getMessage():
            self.seen.set()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"db_deadline": DEADLINE}])
@pytest.mark.parametrize(
    ("held", "expected", "retried"),
    [(0.2, 200, False), (None, 200, True), (3 * DEADLINE, 503, True)],
    ids=["shorter than the busy wait", "until the first attempt gave up", "past the deadline"],
)
async def test_a_busy_sqlite_file_is_waited_for_then_retried_then_503(
    service: Service,
    caplog: pytest.LogCaptureFixture,
    held: float | None,
    expected: int,
    retried: bool,
) -> None:
    caplog.set_level(logging.INFO, logger="authgate")
    path = make_url(service.settings.database.url).database
    assert path is not None
    # "Longer than the busy wait" as an event, not a time: how long the signup takes to reach
    # its first write depends on how busy the machine is.
    retry = _SetOnLockedRetry()
    logging.getLogger("authgate").addHandler(retry)
    until, seconds = (retry.seen, 5.0) if held is None else (None, held)
    holder = asyncio.create_task(asyncio.to_thread(hold_write_lock, path, seconds, until))
    await asyncio.sleep(0.05)

    try:
        started = time.monotonic()
        response = await service.signup("bob")
        elapsed = time.monotonic() - started
        await holder
    finally:
        logging.getLogger("authgate").removeHandler(retry)

    assert response.status_code == expected, response.text
    assert elapsed < DEADLINE + 1.0
    assert any("database is locked" in m for m in caplog.messages) == retried
    stored = await service.backdoor.user_id("bob") is not None
    assert stored == (expected == 200)


@pytest.mark.parametrize("database_url", SERVER_STORAGES, indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"db_deadline": 10.0}])
async def test_concurrent_signins_of_one_account_never_deadlock(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """A signin takes the account's row lock before it adds a session whose foreign key would
    take a shared lock on the same row: two signins of one account cannot each hold the shared
    lock and wait for the other's, as they did when the session came first."""
    caplog.set_level(logging.INFO, logger="authgate")
    await service.signed_in("alice")
    caplog.clear()

    for _ in range(3):
        answers = await asyncio.gather(*(service.signin("alice") for _ in range(16)))
        assert [answer.status_code for answer in answers] == [200] * 16

    assert [r.message for r in caplog.records if "transient conflict" in r.message] == []


async def test_a_conflict_reported_again_by_the_rollback_is_still_run_again(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Galera node that aborted a transaction for another node's write set may answer its
    rollback with the same deadlock. The rollback's conflict must not escape the retry (it once
    reached a client as a 503 after one run): the connection is dropped and the work runs again."""
    engine = create_engine(
        make_url(f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}"), pool_size=1, deadline=5
    )
    database = SqlAlchemyDatabase(engine, deadline=5)
    await database.execute(text("CREATE TABLE counts (n INTEGER)"))
    await database.commit()
    rollback, refusals = AsyncConnection.rollback, [1]

    async def refused_once(connection: AsyncConnection) -> None:
        if refusals:
            refusals.pop()
            locked = sqlite3.OperationalError("database is locked")
            locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise DBAPIError("ROLLBACK", None, locked)
        await rollback(connection)

    monkeypatch.setattr(AsyncConnection, "rollback", refused_once)
    runs = 0

    async def work() -> int:
        nonlocal runs
        runs += 1
        await database.execute(text("INSERT INTO counts VALUES (:n)"), {"n": runs})
        if runs == 1:
            raise StorageConflict("deadlock (1213)")
        return runs

    try:
        assert await Transactions(database, RetryPolicy(2, timedelta(0))).run(work) == 2
        assert not refusals
        rows = (await database.execute(text("SELECT n FROM counts"))).scalars().all()
        assert rows == [2]
    finally:
        await database.close()
        await engine.dispose()
