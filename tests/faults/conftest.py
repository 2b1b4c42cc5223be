from collections.abc import AsyncIterator

import pytest
from _pytest.terminal import TerminalReporter
from sqlalchemy.engine import URL

from tests.conftest import _emptied
from tests.faults.proxy import FaultProxy
from tests.faults.report import FaultReport
from tests.storages import SERVER_STORAGES

# Short, so that the suite is quick; the rule tested is the same at the default 5 s.
DEADLINE = 1.0


_DEFAULT_PORTS = {"mysql": 3306, "postgresql": 5432}


@pytest.fixture(params=SERVER_STORAGES)
def server_url(request: pytest.FixtureRequest) -> URL:
    """The run's database on each kind of server (MySQL, PostgreSQL)."""
    url: URL = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
async def proxy(server_url: URL) -> AsyncIterator[FaultProxy]:
    port = server_url.port or _DEFAULT_PORTS[server_url.get_backend_name()]
    proxy = FaultProxy(server_url.host or "127.0.0.1", port)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def database_url(server_url: URL, proxy: FaultProxy) -> str:
    """The test's database, reached through the proxy."""
    await _emptied(server_url)
    return server_url.set(port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"db_deadline": DEADLINE, "db_pool_size": 4}


_REPORT = FaultReport()


@pytest.fixture
def fault_report() -> FaultReport:
    return _REPORT


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if _REPORT.lines:
        terminalreporter.write_sep("-", "database faults: answers during each, recovery after")
        for line in _REPORT.lines:
            terminalreporter.write_line(line)
