"""`authgate serve` as production runs it (granian, WORKERS processes), in a process group of its
own so that a Ctrl-C meant for the bench reaches the server only through the bench's clean stop."""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from bench.api import HOST, Api
from bench.errors import BenchError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_SERVICE = (sys.executable, "-m", "entrypoints")
_READY_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    database_url: URL
    workers: int
    bcrypt_cost: int
    data_dir: Path
    jwt_secret: str

    def env(self, port: int) -> dict[str, str]:
        # The rest of the environment passes through, so that a tuning variable the bench does
        # not set (DB_POOL_SIZE, BCRYPT_THREADS, ...) can be tried with `VAR=... make bench`.
        return {
            # Every request comes from 127.0.0.1, thousands a second: the limits would answer
            # most of them 429. `RATE_LIMITS=on make bench` measures their cost instead.
            "RATE_LIMITS": "off",
            **os.environ,
            "DATABASE_URL": self.database_url.render_as_string(hide_password=False),
            "HOST": HOST,
            "PORT": str(port),
            "WORKERS": str(self.workers),
            "BCRYPT_COST": str(self.bcrypt_cost),
            "DATA_DIR": str(self.data_dir),
            "JWT_SECRET": self.jwt_secret,
        }


@dataclass(frozen=True, slots=True)
class RunningServer:
    process: "subprocess.Popen[bytes]"
    env: Mapping[str, str]
    api: Api

    def run_cli(self, *args: str, extra_env: Mapping[str, str]) -> None:
        """An `authgate` command against the same database and settings as the server."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [*_SERVICE, *args],
            env={**self.env, **extra_env},
            cwd=PROJECT_ROOT,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")
            raise BenchError(f"authgate {args[0]} exited with {done.returncode}:\n{output}")

    def worker_peak_rss_mib(self) -> dict[int, float]:
        """VmHWM of each granian worker: the workers are the server process's children."""
        parent = str(self.process.pid)
        return {
            int(status["Pid"]): int(status["VmHWM"].split()[0]) / 1024
            for status in _process_statuses()
            if status.get("PPid") == parent and "VmHWM" in status
        }


@contextlib.contextmanager
def running_server(service: ServiceConfig, log_path: Path) -> Iterator[RunningServer]:
    """The server, answering on a free port, with its output in `log_path`; stopped on exit."""
    port = _free_port()
    env = service.env(port)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [*_SERVICE, "serve"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            server = RunningServer(process, env, Api(port))
            _wait_until_ready(server, log_path)
            yield server
        finally:
            _stop(process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(server: RunningServer, log_path: Path) -> None:
    # The port alone is not enough: granian listens before its workers serve, and the service
    # migrates the database before either.
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            raise BenchError(f"the server exited with {code} before serving; see {log_path}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if server.api.status("/api/test/all") == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"the server did not serve within {_READY_TIMEOUT:.0f} s; see {log_path}")


def _stop(process: "subprocess.Popen[bytes]") -> None:
    # SIGTERM is granian's graceful shutdown: it stops its workers, then itself.
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        # Not reaped yet, so the group id is still this server's: no stranger can be hit.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _process_statuses() -> Iterator[dict[str, str]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            lines = (entry / "status").read_text().splitlines()
        except OSError:
            continue  # gone since the listing
        yield dict(line.split(":\t", 1) for line in lines if ":\t" in line)
