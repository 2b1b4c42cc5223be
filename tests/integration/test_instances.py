"""Several servers on one database agree at once: what one revokes, every other refuses."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from entrypoints.settings import Settings
from tests.service import Service
from tests.storages import SQL_STORAGES
from tests.tokens import TEST_SECRET

pytestmark = pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def other_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`authgate serve` in a process of its own, on the same database and secret."""
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "JWT_SECRET": TEST_SECRET.decode(),
        "BCRYPT_COST": "4",
        "DATA_DIR": str(tmp_path / "other"),
        "PORT": str(port),
        "WORKERS": "1",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "entrypoints", "serve"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base_url, server)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _wait_until_serving(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            httpx.get(f"{base_url}/api/test/all", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise TimeoutError(f"nothing answered on {base_url}")


async def test_a_signout_is_seen_by_another_process(service: Service, other_server: str) -> None:
    user = await service.signed_in("alice")
    async with httpx.AsyncClient(base_url=other_server) as other:
        headers = {"x-access-token": user["accessToken"]}
        before = await other.get("/api/test/user", headers=headers)

        await service.client.post("/api/auth/signout", headers=headers)

        after = await other.get("/api/test/user", headers=headers)
        refreshed = await other.post(
            "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
        )

    assert before.status_code == 200
    assert before.text == "User Content."
    assert after.status_code == 401
    assert refreshed.status_code == 403


async def test_a_refresh_in_one_process_retires_the_token_in_the_other(
    service: Service, other_server: str
) -> None:
    user = await service.signed_in("alice")
    async with httpx.AsyncClient(base_url=other_server) as other:
        rotated = await other.post(
            "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
        )
        assert rotated.status_code == 200
        service.clock.advance(timedelta(seconds=60))  # past the reuse grace window

        reuse = await service.client.post(
            "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
        )
        after = await other.get(
            "/api/test/user", headers={"x-access-token": rotated.json()["accessToken"]}
        )

    assert reuse.status_code == 403
    assert after.status_code == 401
