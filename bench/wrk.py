"""wrk, the load generator: installed from Debian's packages when missing, run with the Lua
scripts beside this file, its JSON result line parsed into a WrkResult."""

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from bench.machine import MachineUsage
from testkit.servers import HOST

LUA_DIR = Path(__file__).resolve().parent / "lua"
_RESULT_PREFIX = "BENCH_RESULT "
_APT_GET = "/usr/bin/apt-get"
# Far above any latency a correct run shows (a cost-12 signin queued behind 7 others and beside
# the mixed scenario's reads takes up to several seconds on two cores), so that a timeout means a
# stuck request, not a slow one.
_TIMEOUT = "30s"


@dataclass(frozen=True, slots=True)
class Load:
    """One wrk process: a path hit by `connections` clients through a script of LUA_DIR."""

    key: str
    label: str
    path: str
    connections: int
    script: str = "report.lua"
    headers: tuple[str, ...] = ()
    script_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WrkResult:
    key: str
    label: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    socket_errors: int
    statuses: dict[int, int]
    machine: MachineUsage | None = None
    """The server's and the machine's use of the cores during the run; None if unknown."""
    retries: int | None = None
    """Units of work the server ran again after a transient conflict during the run (its log's
    `transient conflict` lines; bench.retries); None where unknown."""

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_request(self) -> float | None:
        """Server CPU a request took. Unlike req/s, steady when the machine's cores are shared:
        time a busy neighbour takes is not charged to the server."""
        if self.machine is None or not self.requests:
            return None
        return self.machine.server_cpu_seconds / self.requests * 1e6

    @property
    def database_cpu_us_per_request(self) -> float | None:
        """The database server's CPU a request took, when it runs on this machine: the share of
        the cores no change to the server's code gives back."""
        if self.machine is None or self.machine.database_cpu_seconds is None or not self.requests:
            return None
        return self.machine.database_cpu_seconds / self.requests * 1e6

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "scenario": self.label,
            "connections": self.connections,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.requests_per_second, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "p99.9_ms": round(self.p999_ms, 3),
            "socket_errors": self.socket_errors,
            "non_2xx": self.non_2xx,
            "server_cpu_us_per_request": _rounded(self.cpu_us_per_request),
            "database_cpu_us_per_request": _rounded(self.database_cpu_us_per_request),
            "conflict_retries": self.retries,
            "machine": None if self.machine is None else self.machine.as_json(),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
        }


@dataclass(frozen=True, slots=True)
class Wrk:
    executable: str
    threads: int

    @classmethod
    def ensure(cls, threads: int) -> "Wrk":
        return cls(shutil.which("wrk") or _install(), threads)

    def run(self, port: int, loads: Sequence[Load], seconds: int) -> list[WrkResult]:
        """All `loads` at once against 127.0.0.1:`port`, for `seconds`; one result each, in
        the same order."""
        return self.run_at(f"http://{HOST}:{port}", loads, seconds)

    def run_at(self, base_url: str, loads: Sequence[Load], seconds: int) -> list[WrkResult]:
        """The same against `base_url` (http://host:port), another implementation's too."""
        processes = [self._start(base_url, load, seconds) for load in loads]
        try:
            outputs = [process.communicate() for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        return [
            _parse(load, process.returncode, stdout, stderr)
            for load, process, (stdout, stderr) in zip(loads, processes, outputs, strict=True)
        ]

    def _start(self, base_url: str, load: Load, seconds: int) -> "subprocess.Popen[str]":
        threads = min(self.threads, load.connections)  # wrk refuses more threads than connections
        headers = [option for header in load.headers for option in ("--header", header)]
        return subprocess.Popen(  # noqa: S603 - wrk, with arguments built here
            [
                self.executable,
                f"--threads={threads}",
                f"--connections={load.connections}",
                f"--duration={seconds}s",
                f"--timeout={_TIMEOUT}",
                f"--script={LUA_DIR / load.script}",
                *headers,
                f"{base_url}{load.path}",
                "--",
                str(threads),
                *load.script_args,
            ],
            cwd=LUA_DIR,  # the scenario scripts dofile("report.lua")
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _install() -> str:
    print("wrk is not on PATH: installing Debian's wrk package", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [_APT_GET, "install", "-y", "wrk"]
    # A fresh container has empty package lists: update only when the first try needs it.
    if subprocess.run(install, env=env, check=False).returncode != 0:  # noqa: S603
        subprocess.run([_APT_GET, "update"], env=env, check=False)  # noqa: S603
        subprocess.run(install, env=env, check=False)  # noqa: S603
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is missing and `apt-get install -y wrk` did not provide it")
    return found


def _parse(load: Load, returncode: int, stdout: str, stderr: str) -> WrkResult:
    for line in stdout.splitlines():
        if line.startswith(_RESULT_PREFIX):
            data = json.loads(line.removeprefix(_RESULT_PREFIX))
            return WrkResult(
                key=load.key,
                label=load.label,
                connections=load.connections,
                requests=int(data["requests"]),
                seconds=float(data["duration_us"]) / 1e6,
                p50_ms=float(data["p50_us"]) / 1e3,
                p90_ms=float(data["p90_us"]) / 1e3,
                p99_ms=float(data["p99_us"]) / 1e3,
                p999_ms=float(data["p999_us"]) / 1e3,
                socket_errors=int(data["socket_errors"]),
                statuses={int(status): int(count) for status, count in data["statuses"].items()},
            )
    raise BenchError(
        f"wrk ({load.label}) exited with {returncode} and no result:\n{stdout}{stderr}"
    )
