import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from _pytest.terminal import TerminalReporter
from asgi_lifespan import LifespanManager
from dishka import Provider
from sqlalchemy import delete
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryStorage
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.tables import (
    attempt_counters,
    passkey_challenges,
    sessions,
    signing_keys,
    users,
)
from entrypoints.http.app import create_app
from entrypoints.ioc import build_container
from entrypoints.settings import MEMORY_DATABASE_URL, Settings
from testkit.databases import throwaway_database
from tests.backdoors import Backdoor, MemoryBackdoor, SqlBackdoor
from tests.databases import mysql_server, postgres_server
from tests.fakes import ClockProvider, FakeClock
from tests.service import Service
from tests.storage_counts import OUTCOMES, count_by_storage, lines
from tests.storages import TEST_DEADLINE, migrate
from tests.tokens import TEST_SECRET

_T = TypeVar("_T")


def _run_aside(work: Coroutine[Any, Any, _T]) -> _T:
    """Runs a coroutine on a loop of its own: session set-up may be asked for from inside a
    test's running loop, which cannot be re-entered."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[URL]:
    """One throwaway MySQL database for the run, migrated once; tests empty it before use."""
    with mysql_server() as server, throwaway_database(server) as url:
        _run_aside(migrate(url))
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[URL]:
    """One throwaway PostgreSQL database for the run, migrated once; tests empty it before use."""
    with postgres_server() as server, throwaway_database(server) as url:
        _run_aside(migrate(url))
        yield url


async def _emptied(url: URL) -> URL:
    engine = create_engine(url, pool_size=1, deadline=TEST_DEADLINE)
    try:
        async with engine.begin() as connection:
            # Sessions, refresh tokens and role grants go with their users (ON DELETE CASCADE).
            await connection.execute(delete(sessions))
            await connection.execute(delete(users))
            # An earlier test's tallies would throttle this one's first attempts, as memory and
            # a new SQLite file never do.
            await connection.execute(delete(attempt_counters))
            # Each test's keys are made at its own (fake) time.
            await connection.execute(delete(signing_keys))
            # Username-less challenges belong to no user.
            await connection.execute(delete(passkey_challenges))
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the kind the test is parametrized with."""
    kind = request.param
    if kind == "memory":
        return MEMORY_DATABASE_URL
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'authgate.sqlite3'}"
        await migrate(url)
        return url
    server: URL = request.getfixturevalue(f"{kind}_url")
    return (await _emptied(server)).render_as_string(hide_password=False)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Tests override settings by parametrizing or redefining this fixture."""
    return {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, settings_overrides: dict[str, object]) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "jwt_secret": TEST_SECRET,
        "data_dir": tmp_path,
        "bcrypt_cost": 4,
        "bcrypt_threads": 2,
        "session_purge_interval": 0,
        "rate_limits": False,
        **settings_overrides,
    }
    return Settings.of(**values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def providers() -> list[Provider]:
    """Providers that override production ones in the service under test; a test module
    redefines this fixture to swap one (a counting Metrics, say)."""
    return []


@pytest.fixture
async def service(
    settings: Settings, clock: FakeClock, providers: list[Provider]
) -> AsyncIterator[Service]:
    container = build_container(settings, ClockProvider(clock), *providers)
    app = create_app(settings, container)
    # httpx on the test's own loop, not Litestar's TestClient (which serves from a thread of its
    # own, one request at a time): concurrent requests in a test must really be concurrent.
    asgi_app: Any = app  # Litestar's precise ASGI types are narrower than httpx's protocol
    transport = httpx.ASGITransport(asgi_app)
    async with (
        LifespanManager(asgi_app),
        httpx.AsyncClient(transport=transport, base_url="http://localhost") as client,
    ):
        backdoor: Backdoor
        if settings.database.uses_memory_storage:
            backdoor = MemoryBackdoor(await container.get(InMemoryStorage))
        else:
            backdoor = SqlBackdoor(await container.get(AsyncEngine))
        yield Service(client, container, settings, clock, backdoor, app)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """The run's tests counted by the storage each ran on (tests/storage_counts.py)."""
    outcomes = {
        report.nodeid: outcome
        for outcome in OUTCOMES
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "nodeid", "")
    }
    if outcomes:
        terminalreporter.write_sep("-", "tests by storage")
        for line in lines(count_by_storage((o, n) for n, o in outcomes.items())):
            terminalreporter.write_line(line)
