from collections.abc import AsyncIterator

import pytest
from _pytest.terminal import TerminalReporter
from sqlalchemy.engine import URL

from tests.conftest import _emptied
from tests.faults.proxy import FaultProxy
from tests.faults.report import FaultReport

# Short, so that the suite is quick; the rule tested is the same at the default 5 s.
DEADLINE = 1.0


@pytest.fixture
async def proxy(mysql_url: URL) -> AsyncIterator[FaultProxy]:
    proxy = FaultProxy(mysql_url.host or "127.0.0.1", mysql_url.port or 3306)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def database_url(mysql_url: URL, proxy: FaultProxy) -> str:
    """The test's MySQL database, reached through the proxy."""
    await _emptied(mysql_url)
    return mysql_url.set(port=proxy.port).render_as_string(hide_password=False)


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
