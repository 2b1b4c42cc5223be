"""GET /metrics answers for every worker of a server, whichever worker the scrape lands on; and
the server's log is one JSON object a line when asked."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.http.app import REQUEST_METRICS_INTERVAL
from tests.known_metrics import FAMILIES, KNOWN_SERIES, help_texts, known_series
from tests.processes.servers import running_server

REQUESTS = 60


@pytest.fixture
def metrics_directory(tmp_path: Path) -> Path:
    directory = tmp_path / "metrics"
    directory.mkdir()
    # A count left by an earlier run must not come back.
    (directory / "counter_1.db").write_bytes(b"stale")
    return directory


@pytest.fixture
def two_workers(tmp_path: Path, metrics_directory: Path) -> Iterator[str]:
    with running_server(
        tmp_path,
        f"sqlite:///{tmp_path / 'authgate.sqlite3'}",
        # Not a request the test counts.
        ready_path="/healthz",
        WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_directory),
        LOG_FORMAT="json",
    ) as server:
        yield server.base_url


def _public_requests(text: str) -> float:
    found = re.search(
        r'^authgate_http_requests_total\{method="GET",route="/api/test/all",status="200"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def test_a_fresh_server_shows_every_family_and_known_series_at_zero(two_workers: str) -> None:
    """Whichever worker answers, before any event: every family's help text, every known
    label value at 0 (found by a review: throttled and unavailable were missing)."""
    for _ in range(4):
        with httpx.Client(base_url=two_workers) as client:
            text = client.get("/metrics").text

        helps = help_texts(text)
        assert helps.keys() >= FAMILIES
        assert all(helps[family] != "Multiprocess metric" for family in FAMILIES)
        assert known_series(text) == {
            name: dict.fromkeys(values, 0.0) for name, (_, values) in KNOWN_SERIES.items()
        }


def test_every_scrape_counts_the_requests_of_both_workers(
    two_workers: str, metrics_directory: Path
) -> None:
    for _ in range(REQUESTS):
        # A connection each, so that the kernel spreads them over both workers.
        with httpx.Client(base_url=two_workers) as client:
            assert client.get("/api/test/all").status_code == 200

    # Each worker adds its requests to the shared files every second (REQUEST_METRICS_INTERVAL).
    time.sleep(REQUEST_METRICS_INTERVAL + 0.5)
    scrapes = []
    for _ in range(6):
        with httpx.Client(base_url=two_workers) as client:
            scrapes.append(client.get("/metrics").text)

    writers = {path.name.rsplit("_", 1)[1] for path in metrics_directory.glob("counter_*.db")}
    assert len(writers) == 2, "both workers served and wrote their counts"
    assert [_public_requests(scrape) for scrape in scrapes] == [REQUESTS] * len(scrapes)
    # Each worker times its collector's passes; 60 requests allocate enough for some.
    young_passes = re.search(
        r'^authgate_gc_pause_seconds_count\{generation="0"\} (\S+)$', scrapes[-1], re.MULTILINE
    )
    assert young_passes is not None
    assert float(young_passes.group(1)) > 0
    assert "_created" not in scrapes[0]


def test_the_server_logs_one_json_object_a_line(two_workers: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=two_workers) as client:
        answer = client.get("/api/test/all", headers={"X-Request-ID": "json-line-1"})
    assert answer.headers["x-request-id"] == "json-line-1"

    deadline = time.monotonic() + 5
    while "json-line-1" not in (log := (tmp_path / "server.log").read_text()):
        assert time.monotonic() < deadline, log
        time.sleep(0.05)
    lines = [json.loads(line) for line in log.splitlines()]
    assert all(isinstance(line, dict) for line in lines), "granian's lines too"
    [access] = [line for line in lines if line.get("request_id") == "json-line-1"]
    assert access["route"] == "/api/test/all"
    assert access["status"] == 200
