from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Short names a person would type, mapped to the async drivers this adapter is built on.
_ASYNC_DRIVERS = {
    "mysql": "mysql+asyncmy",
    "mariadb": "mysql+asyncmy",
    "sqlite": "sqlite+aiosqlite",
}


def async_url(url: str | URL) -> URL:
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def create_engine(url: str | URL, *, pool_size: int = 10) -> AsyncEngine:
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed)
    return _create_mysql_engine(parsed, pool_size)


def _create_mysql_engine(url: URL, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url,
        # READ COMMITTED, not InnoDB's REPEATABLE READ: no gap locks, so rotations of different
        # sessions never deadlock over neighbouring index ranges; every decision that needs more
        # is a conditional update or a row lock.
        isolation_level="READ COMMITTED",
        # A failed statement's error must not carry password hashes or token digests into logs.
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it would cost a round trip on every checkout. A connection the server
        # dropped fails one request and the pool then replaces it; recycling keeps that rare.
        pool_recycle=3600,
        # Rolled back below only when the server says a transaction is open: after a commit,
        # SQLAlchemy's unconditional rollback-on-return would be one more round trip.
        pool_reset_on_return=None,
    )

    @event.listens_for(engine.sync_engine, "reset")
    def _roll_back_open_transaction(dbapi_connection: Any, _record: Any, state: Any) -> None:
        if state.asyncio_safe and dbapi_connection.driver_connection.get_transaction_status():
            dbapi_connection.rollback()

    return engine


def _create_sqlite_engine(url: URL) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Cascading deletes need foreign keys on; WAL lets readers go on while one writes.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine
