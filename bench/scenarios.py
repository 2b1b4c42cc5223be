"""The scenarios of issue 4, in two server runs: BCRYPT_COST is read at start-up, and a password
hashed at another cost is re-hashed at signin, so each cost needs its own server and its own users.

- cost 8: GET /api/test/all, GET /api/test/admin, POST /api/auth/refreshtoken, signin at cost 8;
- cost 12, the default: GET /api/test/user, signin at cost 12, and the mixed scenario, measured on
  the same server as the plain GET /api/test/user it is compared with.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from bench.config import BenchConfig
from bench.seed import READER, reader_token, refresh_tokens, seed_roles, signin_users
from bench.server import RunningServer, ServiceConfig, running_server
from bench.wrk import Load, Wrk, WrkResult

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
class PhaseResult:
    bcrypt_cost: int
    results: list[WrkResult]
    worker_peak_rss_mib: dict[int, float]
    server_log: Path


Plan = Callable[[RunningServer, BenchConfig, Path], list[Scenario]]
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
            self.database_url, self.config.workers, cost, self.scratch / "data", jwt_secret
        )
        log = Path(f"{self.log_prefix}-server-cost{cost}.log")
        files = self.scratch / f"cost{cost}"
        files.mkdir()
        print(f"server: {self.config.workers} workers, BCRYPT_COST={cost}, log {log}", flush=True)
        with running_server(service, log) as server:
            scenarios = plan(server, self.config, files)
            results = [
                result for scenario in scenarios for result in self._measure(server, scenario)
            ]
            # Read before the server stops: the workers' peaks, after every scenario of this run.
            peaks = server.worker_peak_rss_mib()
        return PhaseResult(cost, results, peaks, log)

    def _measure(self, server: RunningServer, scenario: Scenario) -> list[WrkResult]:
        port = server.api.port
        if self.config.warmup:
            self.wrk.run(port, scenario.warmup, self.config.warmup)
        results = self.wrk.run(port, scenario.measured, self.config.duration)
        for result in results:
            print(
                f"  {result.label}: {result.requests_per_second:.0f} req/s, "
                f"p99 {result.p99_ms:.1f} ms",
                flush=True,
            )
        return results


def fast_hash_scenarios(server: RunningServer, config: BenchConfig, files: Path) -> list[Scenario]:
    tokens = seed_roles(server)
    signins = signin_users(server.api, "signin8_", SIGNIN_CLIENTS, files / "signin.jsonl")
    # Two sets of sessions, since the warm-up rotates the refresh tokens of its own away. Each
    # set has a spare session per connection, so that a session lost to one failed request does
    # not starve its connection: the failure shows once, as what it was, not as a run of 403s.
    sessions = 2 * config.connections
    warm_tokens = refresh_tokens(server.api, READER, sessions, files / "warm.txt")
    tokens_file = refresh_tokens(server.api, READER, sessions, files / "tokens.txt")
    return [
        steady(Load("all", "GET /api/test/all", "/api/test/all", config.connections)),
        steady(
            Load(
                "admin",
                "GET /api/test/admin",
                "/api/test/admin",
                config.connections,
                headers=(f"x-access-token: {tokens.admin}",),
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
) -> list[Scenario]:
    signins = signin_users(server.api, "signin12_", SIGNIN_CLIENTS, files / "signin.jsonl")
    reads_header = (f"x-access-token: {reader_token(server.api)}",)
    return [
        steady(
            Load(
                "user",
                "GET /api/test/user",
                "/api/test/user",
                config.connections,
                headers=reads_header,
            )
        ),
        steady(_signin_load("signin_cost12", DEFAULT_COST, signins)),
        steady(
            Load(
                "mixed_user",
                f"mixed: GET /api/test/user, {SIGNIN_CLIENTS} signing in",
                "/api/test/user",
                config.connections,
                headers=reads_header,
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
