"""Transient-conflict retries of the server during a scenario, counted from its log: the service
logs `transient conflict (...): running the unit of work again` at INFO each time it runs a unit
of work again (application/shared/transactions.py), and has no metric of them.

The window is the log's bytes written between the scenario's start and its end. The service
writes its lines from a thread every 0.1 s (entrypoints/logs/writer.py), so each end of the
window waits a little longer than that first: the lines of the scenario before are in the file
when the window opens, and this scenario's last ones when it closes."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

RETRY_MARK = "transient conflict ("
_SETTLE_SECONDS = 0.25
"""More than the service's log-writing interval."""


def count_retries(text: str) -> int:
    """The retries that log text records: one line each."""
    return text.count(RETRY_MARK)


@contextmanager
def retries_logged(log: Path | None) -> Iterator[Callable[[], int | None]]:
    """The retries logged to `log` during the block, read through the yielded function once the
    block has run; None without a log (a server the bench did not start)."""
    counted: list[int | None] = []
    if log is None:
        yield lambda: None
        return
    time.sleep(_SETTLE_SECONDS)
    start = _size(log)
    yield lambda: counted[0]
    time.sleep(_SETTLE_SECONDS)
    with log.open("rb") as file:
        file.seek(start)
        counted.append(count_retries(file.read().decode(errors="replace")))


def _size(log: Path) -> int:
    try:
        return log.stat().st_size
    except FileNotFoundError:
        return 0
