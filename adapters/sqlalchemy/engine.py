import math
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.local_files import private_sqlite_database

# Short names a person would type, mapped to the async drivers this adapter is built on.
_ASYNC_DRIVERS = {
    "mysql": "mysql+asyncmy",
    "mariadb": "mysql+asyncmy",
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
POOL_RECYCLE_SECONDS = 3600
# wsrep_sync_wait's READ bit: SELECT, SHOW and BEGIN wait for the node to catch up with the
# cluster. Writes need no wait: certification refuses one made on stale reads, and it is retried.
CAUSAL_READS_STATEMENT = "SET SESSION wsrep_sync_wait = 1"


def connect_timeout(deadline: float) -> int:
    """The driver's connect timeout, in whole seconds as asyncmy takes it. The request's deadline
    bounds the handshake that follows the connect as well."""
    return max(1, math.ceil(deadline))


def lock_wait_seconds(deadline: float) -> float:
    """The longest a statement waits for a row lock. Past it, it fails as a transient conflict,
    retried, instead of running into the request's deadline, which would cost the connection."""
    return deadline / 2


def postgres_server_settings(deadline: float) -> dict[str, str]:
    """Set by every PostgreSQL connection as it connects (in the startup packet: no round trip
    of its own). The lock wait as on MySQL; and no statement outlives the request that gave up on
    it, so a stalled client's work does not go on holding locks on the server."""
    return {
        "lock_timeout": f"{max(1, math.floor(lock_wait_seconds(deadline) * 1000))}ms",
        "statement_timeout": f"{max(1, math.ceil(deadline * 1000))}ms",
        "idle_in_transaction_session_timeout": f"{max(1, math.ceil(deadline * 2000))}ms",
        "TimeZone": "UTC",
    }


def async_url(url: str | URL) -> URL:
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def create_engine(
    url: str | URL, *, pool_size: int, deadline: float, causal_reads: bool = False
) -> AsyncEngine:
    """`deadline`: the longest wait for a pooled connection, a new one, or a busy SQLite file.
    `causal_reads`: MariaDB Galera's `wsrep_sync_wait` on every connection (see above)."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed, deadline)
    if parsed.get_backend_name() == "postgresql":
        return _create_postgres_engine(parsed, pool_size, deadline)
    return _create_mysql_engine(parsed, pool_size, deadline, causal_reads)


def _create_mysql_engine(
    url: URL, pool_size: int, deadline: float, causal_reads: bool
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        connect_args={"connect_timeout": connect_timeout(deadline)},
        # READ COMMITTED, not InnoDB's REPEATABLE READ: no gap locks, so rotations of different
        # sessions never deadlock over neighbouring index ranges; every decision that needs more
        # is a conditional update or a row lock.
        isolation_level="READ COMMITTED",
        # A failed statement's error must not carry password hashes or token digests into logs.
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=deadline,
        # No pre-ping: it would cost a round trip on every checkout. A connection the server
        # dropped fails one request (503), and SQLAlchemy then renews every older connection.
        pool_recycle=POOL_RECYCLE_SECONDS,
        # Rolled back below only when the server says a transaction is open: after a commit,
        # SQLAlchemy's unconditional rollback-on-return would be one more round trip.
        pool_reset_on_return=None,
    )

    lock_wait = max(1, math.floor(lock_wait_seconds(deadline)))

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {lock_wait}")
        if causal_reads:
            cursor.execute(CAUSAL_READS_STATEMENT)
        cursor.close()

    @event.listens_for(engine.sync_engine, "reset")
    def _roll_back_open_transaction(dbapi_connection: Any, _record: Any, state: Any) -> None:
        if state.asyncio_safe and dbapi_connection.driver_connection.get_transaction_status():
            dbapi_connection.rollback()

    return engine


def _create_postgres_engine(url: URL, pool_size: int, deadline: float) -> AsyncEngine:
    # READ COMMITTED, PostgreSQL's default, as on MySQL: every decision that needs more is a
    # conditional update, an upsert or a row lock. SQLAlchemy's asyncpg dialect begins a
    # transaction only with the first statement and rolls back only one that was begun, so a
    # connection goes back to the pool without a round trip after a commit; it prepares each
    # statement once per connection (asyncpg's prepared statement cache).
    engine = create_async_engine(
        url,
        connect_args={
            "timeout": connect_timeout(deadline),
            "server_settings": postgres_server_settings(deadline),
        },
        isolation_level="READ COMMITTED",
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=deadline,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )

    @event.listens_for(engine.sync_engine, "invalidate")
    def _drop_at_once(dbapi_connection: Any, _record: Any, _error: Any) -> None:
        # SQLAlchemy first closes an invalidated asyncpg connection politely, waiting up to 2 s
        # for the server's goodbye, past the request's deadline; a black-holed or stalled
        # server never gives it. The socket is dropped at once instead, as on MySQL.
        if dbapi_connection is not None:
            dbapi_connection.driver_connection.terminate()

    return engine


def _create_sqlite_engine(url: URL, deadline: float) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        private_sqlite_database(Path(url.database))
    # A writer waits for another's lock up to half the deadline; then the unit of work is rolled
    # back and run again (SQLite busy is a transient conflict), within what is left of it.
    engine = create_async_engine(
        url, connect_args={"timeout": deadline / 2}, hide_parameters=True, pool_timeout=deadline
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Cascading deletes need foreign keys on; WAL lets readers go on while one writes.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine
