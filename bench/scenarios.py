"""The scenarios, in two server runs: BCRYPT_COST is read at start-up, and a password hashed at
another cost is re-hashed at signin, so each cost needs its own server and its own users.

- cost 8: GET /api/test/all, then the same at a fixed rate, GET /api/test/admin,
  POST /api/auth/refreshtoken, signin at cost 8;
- cost 12, the default: GET /api/test/user, then the same at a fixed rate (at half and at a
  quarter of the rate it reached), signin at cost 12, and
  the mixed scenario, measured on the same server as the plain GET /api/test/user it is compared
  with.

Then a bare Litestar app (bench/hello.py) on the same granian settings, as GET /api/test/all's
ceiling.
"""

import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import URL

from bench.api import Api
from bench.config import BenchConfig
from bench.errors import BenchError
from bench.fixed_rate import FixedRateResult, measure
from bench.machine import listening_pid, usage
from bench.retries import retries_logged
from bench.seed import (
    READER,
    access_tokens,
    reader_token,
    refresh_tokens,
    seed_roles,
    signin_users,
)
from bench.server import RunningServer, ServiceConfig, running_server
from bench.wrk import Load, Wrk, WrkResult
from testkit.servers import ServerError, free_port, serving

SIGNIN_CLIENTS = 8
"""Signin connections, in the signin scenarios and beside the reads of the mixed one."""
FAST_COST = 8
DEFAULT_COST = 12


@dataclass(frozen=True, slots=True)
class Scenario:
    measured: tuple[Load, ...]
    """Run at once (the mixed scenario's reads beside its signins), each reported on its own row."""
    warmup: tuple[Load, ...]


def steady(*loads: Load) -> Scenario:
    return Scenario(measured=loads, warmup=loads)


@dataclass(frozen=True, slots=True)
class FixedRate:
    """`load`'s path and headers, sent open-loop at a share of the rate that `load` reached just
    before on the same server: near the maximum everything queues, so that would measure the
    queue; at half of it, a pause of the server is what shows."""

    key: str
    label: str
    load: Load
    share: float | None = None
    """Of the rate `load` reached; None for Targets.fixed_rate_share."""


@dataclass(frozen=True, slots=True)
class PhaseResult:
    bcrypt_cost: int
    results: list[WrkResult]
    fixed_rate: list[FixedRateResult]
    worker_peak_rss_mib: dict[int, float]
    server_log: Path


Plan = Callable[[RunningServer, BenchConfig, Path], list[Scenario | FixedRate]]
"""Seeds a fresh server and returns its scenarios; the Path is a folder for the scripts' files."""


@dataclass(frozen=True, slots=True)
class Bench:
    config: BenchConfig
    wrk: Wrk
    database_url: URL
    scratch: Path
    log_prefix: str
    """Path prefix of the server logs, which are kept with the results."""

    def run(self) -> list[PhaseResult]:
        jwt_secret = secrets.token_urlsafe(48)
        return [
            self._phase(FAST_COST, fast_hash_scenarios, jwt_secret),
            self._phase(DEFAULT_COST, default_cost_scenarios, jwt_secret),
        ]

    def _phase(self, cost: int, plan: Plan, jwt_secret: str) -> PhaseResult:
        service = ServiceConfig(
            self.database_url,
            self.config.workers,
            cost,
            self.scratch / "data",
            jwt_secret,
            self.config.server_root,
        )
        log = Path(f"{self.log_prefix}-server-cost{cost}.log")
        files = self.scratch / f"cost{cost}"
        files.mkdir()
        print(f"server: {self.config.workers} workers, BCRYPT_COST={cost}, log {log}", flush=True)
        database_pid = local_database_pid(self.database_url)
        with running_server(service, log) as server:
            results: list[WrkResult] = []
            fixed_rate: list[FixedRateResult] = []
            pids = (server.process.pid, database_pid)
            for scenario in plan(server, self.config, files):
                if isinstance(scenario, FixedRate):
                    fixed_rate.append(
                        self._fixed_rate(server.api.port, pids, scenario, results, log)
                    )
                else:
                    results.extend(self._measure(server.api.port, pids, scenario, log))
            # Read before the server stops: the workers' peaks, after every scenario of this run.
            peaks = server.worker_peak_rss_mib()
        return PhaseResult(cost, results, fixed_rate, peaks, log)

    def hello(self) -> WrkResult:
        """GET / of bench/hello.py, served like Authgate, with the connections of the reads."""
        port = free_port()
        log = Path(f"{self.log_prefix}-server-hello.log")
        command = (sys.executable, "-m", "bench.hello", f"--port={port}")
        print(f"server: bare Litestar app, {self.config.workers} workers, log {log}", flush=True)
        load = Load("hello", "GET / of a bare Litestar app", "/", self.config.connections)
        try:
            with serving(
                (*command, f"--workers={self.config.workers}"),
                os.environ,
                port,
                log,
                ready_path="/",
            ) as process:
                return self._measure(port, (process.pid, None), steady(load))[0]
        except ServerError as error:
            raise BenchError(f"{error}; see {log}") from None

    def _fixed_rate(
        self,
        port: int,
        pids: tuple[int, int | None],
        scenario: FixedRate,
        measured: list[WrkResult],
        log: Path,
    ) -> FixedRateResult:
        targets = self.config.targets
        reached = next(result for result in measured if result.key == scenario.load.key)
        share = targets.fixed_rate_share if scenario.share is None else scenario.share
        rate = round(reached.requests_per_second * share)
        api = Api(port)
        passes_before = api.collector_passes()
        with retries_logged(log) as retries, usage(*pids) as used:
            result = measure(
                scenario.key,
                f"{scenario.label} at {rate}/s, {share:.0%} of max",
                port,
                scenario.load.path,
                scenario.load.headers,
                rate,
                self.config.duration,
                scenario.load.connections,
                targets.stall_ms,
            )
        passes_after = api.collector_passes()
        passes = (
            passes_after.since(passes_before)
            if passes_after is not None and passes_before is not None
            else None
        )
        result = replace(result, machine=used(), collector=passes, share=share, retries=retries())
        print(
            f"  {result.label}: p99 {result.p99_ms:.1f} ms, p99.9 {result.p999_ms:.1f} ms, "
            f"max {result.max_ms:.1f} ms; the server used {used().server_share:.0%} of the "
            f"cores, steal {used().steal_share:.0%}; the server's and the database's threads "
            f"waited {used().waits_ms()} ms a turn for a core"
            + (
                ""
                if passes is None
                else f"; {passes.count()} collector passes, each at most {passes.longest_ms():g} ms"
            )
            + f"; {result.retries} conflict retries",
            flush=True,
        )
        return result

    def _measure(
        self,
        port: int,
        pids: tuple[int, int | None],
        scenario: Scenario,
        log: Path | None = None,
    ) -> list[WrkResult]:
        if self.config.warmup:
            self.wrk.run(port, scenario.warmup, self.config.warmup)
        with retries_logged(log) as retries, usage(*pids) as used:
            results = self.wrk.run(port, scenario.measured, self.config.duration)
        # A mixed scenario's loads share the CPU it used, and the retries: each row shows them.
        results = [replace(result, retries=retries()) for result in results]
        if len(results) == 1:
            results = [replace(results[0], machine=used())]
        for result in results:
            print_result(result)
        return results


def print_result(result: WrkResult) -> None:
    cpu = result.cpu_us_per_request
    print(
        f"  {result.label}: {result.requests_per_second:.0f} req/s, p99 {result.p99_ms:.1f} ms"
        + (f", {cpu:.0f} us of server CPU a request" if cpu is not None else "")
        + (f", {result.retries} conflict retries" if result.retries is not None else ""),
        flush=True,
    )


_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DEFAULT_PORTS = {"mysql": 3306, "mariadb": 3306, "postgresql": 5432, "postgres": 5432}


def local_database_pid(url: URL) -> int | None:
    """The database server's process when it runs on this machine, for its run-queue wait (on
    PostgreSQL the postmaster, whose children do the work: they are counted with it)."""
    if url.host not in _LOCAL_HOSTS:
        return None
    backend = url.drivername.split("+", 1)[0]
    return listening_pid(url.port or _DEFAULT_PORTS.get(backend, 3306))


def fast_hash_scenarios(
    server: RunningServer, config: BenchConfig, files: Path
) -> list[Scenario | FixedRate]:
    tokens = seed_roles(server)
    admins = access_tokens(
        server.api,
        "bench_admin_",
        files / "admins.txt",
        role="admin",
        admin_token=tokens.admin,
        check="/api/test/admin",
    )
    signins = signin_users(server.api, "signin8_", SIGNIN_CLIENTS, files / "signin.jsonl")
    # Two sets of sessions, since the warm-up rotates the refresh tokens of its own away. Each
    # set has a spare session per connection, so that a session lost to one failed request does
    # not starve its connection: the failure shows once, as what it was, not as a run of 403s.
    sessions = 2 * config.connections
    warm_tokens = refresh_tokens(server.api, READER, sessions, files / "warm.txt")
    tokens_file = refresh_tokens(server.api, READER, sessions, files / "tokens.txt")
    public = Load("all", "GET /api/test/all", "/api/test/all", config.connections)
    return [
        steady(public),
        FixedRate("all_fixed_rate", "GET /api/test/all", public),
        steady(
            Load(
                "admin",
                "GET /api/test/admin",
                "/api/test/admin",
                config.connections,
                script="tokens.lua",
                script_args=(str(admins),),
            )
        ),
        Scenario(
            measured=(_refresh_load(config, tokens_file),),
            warmup=(_refresh_load(config, warm_tokens),),
        ),
        steady(_signin_load("signin_cost8", FAST_COST, signins)),
    ]


def default_cost_scenarios(
    server: RunningServer, config: BenchConfig, files: Path
) -> list[Scenario | FixedRate]:
    signins = signin_users(server.api, "signin12_", SIGNIN_CLIENTS, files / "signin.jsonl")
    readers = access_tokens(
        server.api, "bench_reader_", files / "readers.txt", check="/api/test/user"
    )
    # The steady rows spread their requests over the readers' tokens (bench/lua/tokens.lua); the
    # fixed-rate rows, whose client sends one request over and over, send the header.
    reads_header = (f"x-access-token: {reader_token(server.api)}",)
    protected = Load(
        "user",
        "GET /api/test/user",
        "/api/test/user",
        config.connections,
        headers=reads_header,
        script="tokens.lua",
        script_args=(str(readers),),
    )
    return [
        steady(protected),
        FixedRate("user_fixed_rate", "GET /api/test/user", protected),
        FixedRate(
            "user_fixed_rate_quarter",
            "GET /api/test/user",
            protected,
            share=config.targets.fixed_rate_quarter_share,
        ),
        steady(_signin_load("signin_cost12", DEFAULT_COST, signins)),
        steady(
            Load(
                "mixed_user",
                f"mixed: GET /api/test/user, {SIGNIN_CLIENTS} signing in",
                "/api/test/user",
                config.connections,
                script="tokens.lua",
                script_args=(str(readers),),
            ),
            _signin_load("mixed_signin", DEFAULT_COST, signins, label_prefix="mixed: "),
        ),
    ]


def _signin_load(key: str, cost: int, bodies: Path, label_prefix: str = "") -> Load:
    return Load(
        key,
        f"{label_prefix}POST /api/auth/signin, cost {cost}",
        "/api/auth/signin",
        SIGNIN_CLIENTS,
        script="signin.lua",
        script_args=(str(bodies),),
    )


def _refresh_load(config: BenchConfig, tokens: Path) -> Load:
    return Load(
        "refresh",
        "POST /api/auth/refreshtoken",
        "/api/auth/refreshtoken",
        config.connections,
        script="refresh.lua",
        script_args=(str(tokens),),
    )
