"""Servers in processes of their own: `authgate serve` (or any other HTTP server command), on a
free port, waited for until it answers, and stopped on the way out. The one way the tests, the
bench and the cluster checks start a server, find a port and build its environment."""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

HOST = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
AUTHGATE = (sys.executable, "-m", "entrypoints")
"""The service's command line, run by this interpreter: `(*AUTHGATE, "serve")`."""
_STOP_TIMEOUT = 15.0


class ServerError(RuntimeError):
    """The server exited, or never answered, before it served."""


def free_ports(count: int, host: str = HOST) -> list[int]:
    """Distinct ports free now: all held open together, so none is handed out twice."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((host, 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def free_port(host: str = HOST) -> int:
    """A port free now; nothing listens on it until the caller starts something there."""
    [port] = free_ports(1, host)
    return port


def server_env(
    port: int,
    database_url: str,
    data_dir: Path,
    jwt_secret: str,
    defaults: Mapping[str, str] | None = None,
    /,
    **settings: str,
) -> dict[str, str]:
    """The environment of an `authgate serve` on `port`: this process's own environment, which
    overrides `defaults` (settings a developer may change from outside, as `VAR=... make bench`
    does), under the settings every server here is given, then `settings` (WORKERS, RATE_LIMITS,
    ...), which win over all. BCRYPT_COST is 4, where hashing is not what is measured."""
    return {
        **(defaults or {}),
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": jwt_secret,
        "BCRYPT_COST": "4",
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        **settings,
    }


_LISTEN_STATE = "0A"  # TCP_LISTEN in /proc/net/tcp (include/net/tcp_states.h)


def listening_sockets(port: int) -> dict[str, list[int]]:
    """The sockets listening on TCP `port` of this machine, by inode, each with the processes
    holding it open (none where they are another user's to see). Read from the kernel's tables,
    as ss(8) does: connecting to find out can connect a socket to itself when the port is in the
    ephemeral range."""
    sockets: dict[str, list[int]] = {}
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        with contextlib.suppress(OSError):
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == _LISTEN_STATE and int(fields[1].rpartition(":")[2], 16) == port:
                    sockets[fields[9]] = []
    if not sockets:
        return sockets
    for descriptor in Path("/proc").glob("[0-9]*/fd/*"):
        with contextlib.suppress(OSError):
            inode = os.readlink(descriptor).removeprefix("socket:[").removesuffix("]")
            owners = sockets.get(inode)
            pid = int(descriptor.parts[2])
            if owners is not None and pid not in owners:
                owners.append(pid)
    return sockets


def get_status(port: int, path: str, headers: Mapping[str, str] | None = None) -> int:
    """The status of a GET on HOST; raises OSError while nothing listens."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        return connection.getresponse().status
    finally:
        connection.close()


def wait_until_serving(
    process: "subprocess.Popen[bytes]", port: int, path: str, timeout: float
) -> None:
    """Returns once GET `path` answers 200. The port alone is not enough: granian listens before
    its workers serve, and the service migrates the database before either."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise ServerError(f"the server exited with {code} before serving")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get_status(port, path) == 200:
                return
        time.sleep(0.1)
    raise ServerError(f"nothing served GET {path} on port {port} within {timeout:.0f} s")


def launch(
    command: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path = PROJECT_ROOT
) -> "subprocess.Popen[bytes]":
    """`command`, started and not waited for, with its output added to `log_path`. It runs in a
    process group of its own, so that a Ctrl-C meant for the caller reaches it only through
    `stop`. `python -m` commands import the code of `cwd`, by default this checkout."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - a command of our own
            list(command),
            env=dict(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextlib.contextmanager
def serving(
    command: Sequence[str],
    env: Mapping[str, str],
    port: int,
    log_path: Path,
    *,
    ready_path: str = "/api/test/all",
    timeout: float = 60.0,
    cwd: Path = PROJECT_ROOT,
) -> Iterator["subprocess.Popen[bytes]"]:
    """`command` (see `launch`), listening on `port` (the caller puts it in `env` or `command`),
    yielded once GET `ready_path` answers 200, and stopped on exit."""
    process = launch(command, env, log_path, cwd)
    try:
        wait_until_serving(process, port, ready_path, timeout)
        yield process
    finally:
        stop(process)


def stop(process: "subprocess.Popen[bytes]") -> None:
    # SIGTERM is granian's graceful shutdown: it stops its workers, then itself.
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        # Not reaped yet, so the group id is still this server's: no stranger can be hit.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
