"""What `authgate migrate` and `authgate serve` leave on disk: the SQLite database, its journal
files, the generated JWT secret and outbox mail hold secrets, so every directory the service
creates is 0700 and every file 0600, under the common umask 022."""

import contextlib
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from testkit.servers import AUTHGATE, free_port, server_env
from tests.processes.servers import running_server
from tests.service import DEFAULT_PASSWORD


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """The servers started inside inherit it."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes_under(data: Path) -> dict[str, int]:
    return {
        str(path.relative_to(data.parent)): stat.S_IMODE(path.stat().st_mode)
        for path in (data, *data.rglob("*"))
    }


def wait_for_mail(outbox: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not list(outbox.glob("*.eml")):
        assert time.monotonic() < deadline, "no mail in the outbox"
        time.sleep(0.05)


def test_every_directory_and_file_the_service_creates_is_its_users_alone(tmp_path: Path) -> None:
    data = tmp_path / "var" / "authgate"
    database_url = f"sqlite+aiosqlite:///{data / 'authgate.sqlite3'}"
    settings = {"DATA_DIR": str(data), "JWT_SECRET": ""}
    with umask(0o022):
        subprocess.run(  # noqa: S603 - our own command
            [*AUTHGATE, "migrate"],
            env=server_env(free_port(), database_url, data, "", None, **settings),
            check=True,
            capture_output=True,
        )
        with running_server(tmp_path / "run", database_url, **settings) as server:
            signup = httpx.post(
                f"{server.base_url}/api/auth/signup",
                json={
                    "username": "alice",
                    "email": "alice@example.com",
                    "password": DEFAULT_PASSWORD,
                },
            )
            assert signup.status_code == 200, signup.text
            wait_for_mail(data / "outbox")
            while_serving = modes_under(data)
    after = modes_under(data)

    assert {"authgate/authgate.sqlite3-wal", "authgate/outbox"} <= set(while_serving)
    for modes in (while_serving, after):
        wrong = {
            name: oct(mode)
            for name, mode in modes.items()
            if mode != (0o700 if (tmp_path / "var" / name).is_dir() else 0o600)
        }
        assert wrong == {}
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
