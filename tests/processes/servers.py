"""`authgate serve` as production runs it (granian, its worker processes, real sockets), for the
behaviour no in-process client can show: worker deaths, slow clients, broken HTTP framing, limits
and revocations shared between processes. Started through testkit, as the bench and the cluster
checks start theirs."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testkit.servers import AUTHGATE, free_port, listening_sockets, server_env, serving
from tests.tokens import TEST_SECRET

STARTUP_TIMEOUT = 60.0


@dataclass
class RealServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> set[int]:
        """The server's live worker processes."""
        children: set[int] = set()
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                children |= {int(pid) for pid in (task / "children").read_text().split()}
        # Spawned workers come with multiprocessing's resource tracker, a child that serves nothing.
        return {pid for pid in children if is_running(pid) and not _is_resource_tracker(pid)}

    def started_workers(self) -> int:
        """How many times a worker has started serving, respawns included."""
        return self.log.read_text(errors="replace").count("Started worker-")


def _is_resource_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def is_running(pid: int) -> bool:
    """Alive and not a zombie (a dead child nobody has reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def listeners(port: int) -> list[str]:
    """The processes with a socket listening on the port (pid, working directory, command)."""
    sockets = listening_sockets(port)
    owners = []
    for pid in (pid for pids in sockets.values() for pid in pids):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            owners.append(f"{pid} in {os.readlink(f'/proc/{pid}/cwd')}: {command.decode()}")
    return owners or [f"socket {inode}" for inode in sockets]


@contextlib.contextmanager
def running_server(
    directory: Path,
    database_url: str | None = None,
    ready_path: str = "/api/test/all",
    **environment: str,
) -> Iterator[RealServer]:
    """`python -m entrypoints serve` with its files and log in `directory`, on `database_url`
    (by default a SQLite file of its own there) and the tests' secret, so that it accepts the
    tokens of an in-process service; `environment` adds or overrides settings. It serves once
    GET `ready_path` answers 200 (a test that counts requests waits on another path). When the
    block ends, any of its workers still alive (a test may have broken their tie to it) is
    killed too."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_env(
        port,
        database_url or f"sqlite+aiosqlite:///{directory / 'authgate.sqlite3'}",
        directory,
        TEST_SECRET.decode(),
        None,
        **{"SESSION_PURGE_INTERVAL": "0", **environment},
    )
    log_path = directory / "server.log"
    workers: set[int] = set()
    try:
        command = (*AUTHGATE, "serve")
        with serving(
            command, env, port, log_path, ready_path=ready_path, timeout=STARTUP_TIMEOUT
        ) as process:
            server = RealServer(process, port, log_path)
            workers = server.workers()
            try:
                yield server
            finally:
                workers |= server.workers()
    finally:
        for pid in workers:
            # Only the workers this server started; they end with it, unless a test broke that.
            if is_running(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
