"""`authgate serve` as production runs it (granian, WORKERS processes), through testkit's server
helpers, which also start the tests' second instance."""

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from bench.api import Api
from bench.errors import BenchError
from testkit.servers import AUTHGATE, HOST, ServerError, free_port, server_env, serving


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    database_url: URL
    workers: int
    bcrypt_cost: int
    data_dir: Path
    jwt_secret: str
    root: Path
    """The checkout whose code serves: this one, or another commit's (BENCH_SERVER_ROOT)."""

    def env(self, port: int) -> dict[str, str]:
        # The rest of the environment passes through, so that a tuning variable the bench does
        # not set (DB_POOL_SIZE, BCRYPT_THREADS, ...) can be tried with `VAR=... make bench`.
        return server_env(
            port,
            self.database_url.render_as_string(hide_password=False),
            self.data_dir,
            self.jwt_secret,
            {
                # Every request comes from 127.0.0.1, thousands a second: the limits would
                # answer most of them 429. `RATE_LIMITS=on make bench` measures their cost.
                "RATE_LIMITS": "off",
                # The mixed scenario saturates both cores on purpose: a cost-12 signin then
                # waits longer than the default 5 s for a hashing thread, and its request
                # outlives the database deadline, and is refused 503. The bench measures what a
                # signin costs, so its clients wait instead.
                "HASH_QUEUE_TIMEOUT": "30",
                "DB_DEADLINE": "30",
            },
            HOST=HOST,
            WORKERS=str(self.workers),
            BCRYPT_COST=str(self.bcrypt_cost),
        )


@dataclass(frozen=True, slots=True)
class RunningServer:
    process: "subprocess.Popen[bytes]"
    env: Mapping[str, str]
    api: Api
    root: Path

    def run_cli(self, *args: str, extra_env: Mapping[str, str]) -> None:
        """An `authgate` command against the same database and settings as the server."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [*AUTHGATE, *args],
            env={**self.env, **extra_env},
            cwd=self.root,
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
    port = free_port()
    env = service.env(port)
    try:
        with serving((*AUTHGATE, "serve"), env, port, log_path, cwd=service.root) as process:
            yield RunningServer(process, env, Api(port), service.root)
    except ServerError as error:
        raise BenchError(f"{error}; see {log_path}") from None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` and its children (granian's workers) so far."""
    return sum(map(_cpu_ticks, process_and_children(pid))) / os.sysconf("SC_CLK_TCK")


def process_and_children(pid: int) -> list[int]:
    """`pid` and the processes it started (granian's workers), as they are now."""
    return [
        int(status["Pid"])
        for status in _process_statuses()
        if status.get("Pid") == str(pid) or status.get("PPid") == str(pid)
    ]


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0  # gone since the listing
    # The command name, in parentheses, may hold spaces: count the fields after it.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)


def _process_statuses() -> Iterator[dict[str, str]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            lines = (entry / "status").read_text().splitlines()
        except OSError:
            continue  # gone since the listing
        yield dict(line.split(":\t", 1) for line in lines if ":\t" in line)
