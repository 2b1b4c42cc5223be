"""The bench's retries column counts the server's transient-conflict lines written during the
scenario, and only those; the quarter-rate run has targets of its own."""

from pathlib import Path

import pytest

from bench import retries as retries_module
from bench.config import Targets
from bench.retries import count_retries, retries_logged

RETRIED = (
    "INFO application.shared.transactions transient conflict (deadlock (1213)): "
    "running the unit of work again\n"
)


@pytest.fixture(autouse=True)
def no_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retries_module, "_SETTLE_SECONDS", 0.0)


def test_one_retry_a_line() -> None:
    assert count_retries(RETRIED * 3 + "INFO authgate.access GET /api/test/user 200\n") == 3
    assert count_retries("") == 0


def test_only_the_lines_written_during_the_block_count(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(RETRIED * 2)

    with retries_logged(log) as retries, log.open("a") as file:
        file.write("INFO authgate.access POST /api/auth/signin 200\n" + RETRIED)

    assert retries() == 1


def test_a_log_not_yet_written_counts_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "server.log"

    with retries_logged(log) as retries:
        log.write_text(RETRIED)

    assert retries() == 1


def test_without_a_log_the_count_is_unknown() -> None:
    with retries_logged(None) as retries:
        pass

    assert retries() is None


def test_the_quarter_rate_has_its_own_targets() -> None:
    targets = Targets()

    assert targets.fixed_rate_limits(0.25) == (10.0, 25.0)
    assert targets.fixed_rate_limits(targets.fixed_rate_share) == (5.0, 20.0)
