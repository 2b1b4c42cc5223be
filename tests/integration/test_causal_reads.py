"""DB_CAUSAL_READS asks MariaDB Galera for causal reads on every connection of both of the
service's MySQL pools: the authorization pool and SQLAlchemy's. Off (the default), neither asks,
so the service runs on MySQL, which has no `wsrep_sync_wait`. The cluster tests show what it is
for: a sign-out on one node refused by the next request on any other."""

from pathlib import Path
from typing import Any

import pytest
from asyncmy.pool import Pool
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.ioc import build_container
from entrypoints.settings import Settings

ON_MYSQL = pytest.mark.parametrize(
    "database_url", [pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True
)

_SYNC_WAIT = "SELECT @@session.wsrep_sync_wait"


async def _sync_wait_of_each_pool(settings: Settings) -> tuple[Any, Any]:
    container = build_container(settings)
    try:
        engine = await container.get(AsyncEngine)
        async with engine.connect() as connection:
            if "mariadb" not in str(await connection.scalar(text("SELECT VERSION()"))).lower():
                pytest.skip("wsrep_sync_wait is MariaDB's")
            of_engine = await connection.scalar(text(_SYNC_WAIT))
        pool = await container.get(Pool)
        async with pool.acquire() as raw, raw.cursor() as cursor:
            await cursor.execute(_SYNC_WAIT)
            of_pool = (await cursor.fetchone())[0]
    finally:
        await container.close()
    return of_engine, of_pool


@ON_MYSQL
@pytest.mark.parametrize("settings_overrides", [{"db_causal_reads": True}])
async def test_causal_reads_are_asked_for_on_every_connection(settings: Settings) -> None:
    assert await _sync_wait_of_each_pool(settings) == (1, 1)


@ON_MYSQL
async def test_by_default_no_connection_asks_for_causal_reads(settings: Settings) -> None:
    assert await _sync_wait_of_each_pool(settings) == (0, 0)


def test_they_are_asked_for_with_db_causal_reads(tmp_path: Path) -> None:
    assert Settings.from_env({"DATA_DIR": str(tmp_path)}).database.causal_reads is False
    on = Settings.from_env({"DATA_DIR": str(tmp_path), "DB_CAUSAL_READS": "true"})
    assert on.database.causal_reads is True
