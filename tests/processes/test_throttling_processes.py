"""Rate limits hold across the processes that share a database: two workers of one server, two
servers, and a server restarted in between, for attempts one at a time and for a burst at once.
Real `python -m entrypoints serve` processes."""

import contextlib
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.processes.servers import running_server
from tests.service import DEFAULT_PASSWORD
from tests.storages import SQL_STORAGES

WRONG = {"username": "alice", "password": "not the password at all"}
RIGHT = {"username": "alice", "password": DEFAULT_PASSWORD}


@contextlib.contextmanager
def server(database_url: str, data_dir: Path, workers: int = 1) -> Iterator[str]:
    """`authgate serve` with the default rate limits, on the given database."""
    with running_server(
        data_dir, database_url, WORKERS=str(workers), RATE_LIMITS="on"
    ) as real_server:
        yield real_server.base_url


def signin(base_url: str, body: dict[str, str]) -> int:
    # A new connection every time, so that every worker gets its share of them.
    with httpx.Client(base_url=base_url, timeout=30) as client:
        return client.post("/api/auth/signin", json=body).status_code


def sign_up_alice(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/api/auth/signup",
        json={**RIGHT, "email": "alice@example.com"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def serving_processes(base_url: str, connections: int = 8) -> set[str]:
    """The processes that accepted a batch of connections held open together."""
    port = base_url.rsplit(":", 1)[1]
    clients = [httpx.Client(base_url=base_url) for _ in range(connections)]
    try:
        for client in clients:
            client.get("/api/test/all")
        sockets = subprocess.run(  # noqa: S603 - fixed arguments
            ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        for client in clients:
            client.close()
    return set(re.findall(r"pid=(\d+)", sockets))


def both_serving(base_url: str, seconds: float = 10.0) -> set[str]:
    """The serving processes once both workers accept: the server answers as soon as one
    worker is up, and until the other is, every connection goes to the first."""
    deadline = time.monotonic() + seconds
    while len(processes := serving_processes(base_url)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    return processes


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_workers_share_one_count(database_url: str, tmp_path: Path) -> None:
    with server(database_url, tmp_path / "data", workers=2) as base_url:
        if shutil.which("ss"):
            assert len(both_serving(base_url)) == 2
        sign_up_alice(base_url)

        statuses = [signin(base_url, WRONG) for _ in range(12)]

    # Counted per worker, up to ten failures would get through before the first 429.
    assert statuses == [401] * 5 + [429] * 7


@pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)
def test_servers_on_one_database_share_the_count_and_it_survives_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    with (
        server(database_url, tmp_path / "one") as one,
        server(database_url, tmp_path / "two") as two,
    ):
        sign_up_alice(one)
        failures = [signin(base_url, WRONG) for base_url in (one, two, one, two, one)]
        refused_by_the_other = signin(two, RIGHT)

    with server(database_url, tmp_path / "one") as restarted:
        refused_after_restart = signin(restarted, RIGHT)

    assert failures == [401] * 5
    assert refused_by_the_other == 429
    assert refused_after_restart == 429


@pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)
def test_a_burst_over_two_servers_gets_no_further_than_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    burst = 20
    with (
        server(database_url, tmp_path / "one") as one,
        server(database_url, tmp_path / "two") as two,
    ):
        sign_up_alice(one)
        with ThreadPoolExecutor(max_workers=burst) as pool:
            statuses = sorted(pool.map(lambda n: signin((one, two)[n % 2], WRONG), range(burst)))

    # The default limit: five failures of one account from one address.
    assert statuses == [401] * 5 + [429] * (burst - 5)
