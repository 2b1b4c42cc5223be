"""The bench's knobs, from BENCH_* environment variables, and the targets its report checks."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bench.errors import BenchError
from testkit.servers import PROJECT_ROOT

DEFAULT_DATABASE_URL = "mysql+asyncmy://root@127.0.0.1:3306/"


@dataclass(frozen=True, slots=True)
class Targets:
    """What a good run shows on the two-core machine the service is sized for. The report prints
    each as PASS or MISS; only `stall_ms` also fails the run (see Report.failures), unless a
    `busy_*` figure says the machine was busy with other work (bench.stall_guard)."""

    tail_factor: float = 5.0
    """p99 at most this many times p50 on the read scenarios (all, user, admin)."""
    fixed_rate_share: float = 0.5
    """The fixed-rate scenarios send at this share of the rate the same endpoint reached."""
    fixed_rate_p99_ms: float = 5.0
    fixed_rate_p999_ms: float = 20.0
    fixed_rate_quarter_share: float = 0.25
    """GET /api/test/user also runs at this share of its maximum: on two cores shared with the
    database and the load generator, half the maximum still queues at times; a quarter shows
    what a request waits on a machine with room to spare."""
    fixed_rate_quarter_p99_ms: float = 10.0
    fixed_rate_quarter_p999_ms: float = 25.0
    stall_ms: float = 20.0
    """The stall guard: a fixed-rate run whose p99.9 is over this fails the bench. A pause of
    the server holds up every request due during it, so one pause of about 30 ms in a run at
    half the maximum rate is more than 0.1% of the requests, while a few isolated slow answers
    are not."""
    busy_other_share: float = 0.25
    """A stall is inconclusive when more than this share of the cores was busy with neither the
    server nor the database (the fixed-rate client itself needs far less at these rates)..."""
    busy_steal_share: float = 0.05
    """... or the hypervisor took more than this share of the cores' time ..."""
    busy_client_late_ms: float = 10.0
    """... or the client itself sent a request more than this late (a quiet machine keeps it
    within a few ms): the client waited for a core too."""
    hello_share: float = 0.7
    """GET /api/test/all at least this share of a bare Litestar app on the same server settings."""
    admin_share: float = 0.5
    """GET /api/test/admin at least this share of GET /api/test/all."""
    signin_share: float = 0.9
    """Signins at the fast cost at least this share of what the cores can hash (issue 22)."""
    mixed_factor: float = 3.0
    """p99 of GET /api/test/user while others sign in at most this many times without."""
    worker_rss_mib: float = 150.0

    def fixed_rate_limits(self, share: float) -> tuple[float, float]:
        """The p99 and p99.9 targets, in ms, of a fixed-rate run at `share` of the maximum."""
        if share == self.fixed_rate_quarter_share:
            return self.fixed_rate_quarter_p99_ms, self.fixed_rate_quarter_p999_ms
        return self.fixed_rate_p99_ms, self.fixed_rate_p999_ms


@dataclass(frozen=True, slots=True)
class BenchConfig:
    server_url: URL
    """The MySQL or PostgreSQL server; its database part is ignored, the bench makes a throwaway
    database."""
    workers: int
    duration: int
    """Seconds each scenario is measured."""
    warmup: int
    """Seconds each scenario runs unmeasured first, 0 for none."""
    connections: int
    """Concurrent connections of the read and refresh scenarios."""
    threads: int
    """wrk threads per wrk process: they share the cores with the server under test."""
    server_root: Path
    """The checkout that serves; another commit's, to measure it with this bench."""
    compare_url: str | None = None
    """Another implementation's base URL (http://host:port), measured side by side with
    Authgate on the scenarios both have (bench/compare.py); None for no comparison."""
    compare_rounds: int = 2
    """Rounds per side in the comparison, alternating: Authgate, the other, Authgate, ..."""
    compare_only: bool = False
    """BENCH_ONLY=compare: the comparison alone, without the bench's own scenarios."""
    targets: Targets = Targets()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "BenchConfig":
        env = os.environ if env is None else env
        return cls(
            server_url=_url(env.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL),
            workers=_integer(env, "BENCH_WORKERS", 2, low=1),
            duration=_integer(env, "BENCH_DURATION", 10, low=1),
            warmup=_integer(env, "BENCH_WARMUP", 2, low=0),
            connections=_integer(env, "BENCH_CONNECTIONS", 16, low=1),
            threads=_integer(env, "BENCH_THREADS", 1, low=1),
            server_root=_checkout(env.get("BENCH_SERVER_ROOT") or str(PROJECT_ROOT)),
            compare_url=_base_url(env.get("BENCH_COMPARE_URL", "")),
            compare_rounds=_integer(env, "BENCH_COMPARE_ROUNDS", 2, low=1),
            compare_only=_only(env),
        )


_ONLY = ("", "compare")


def _only(env: Mapping[str, str]) -> bool:
    only = env.get("BENCH_ONLY", "").strip()
    if only not in _ONLY:
        raise BenchError(f"BENCH_ONLY may only be 'compare', not {only!r}")
    if only and not env.get("BENCH_COMPARE_URL", "").strip():
        raise BenchError("BENCH_ONLY=compare needs BENCH_COMPARE_URL")
    return bool(only)


def _base_url(raw: str) -> str | None:
    """http://host:port, without a trailing slash or a path: the scenarios add theirs."""
    raw = raw.strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme != "http" or not parts.hostname or parts.path or parts.query:
        raise BenchError(f"BENCH_COMPARE_URL must be http://host[:port], not {raw!r}")
    return raw


def _checkout(raw: str) -> Path:
    root = Path(raw).resolve()
    if not (root / "entrypoints" / "__main__.py").is_file():
        raise BenchError(f"BENCH_SERVER_ROOT is not an Authgate checkout: {root}")
    return root


def _url(raw: str) -> URL:
    try:
        return make_url(raw)
    except ArgumentError as error:
        raise BenchError(f"BENCH_DATABASE_URL is not a database URL: {error}") from None


def _integer(env: Mapping[str, str], name: str, default: int, *, low: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BenchError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low:
        raise BenchError(f"{name} must be at least {low}, not {value}")
    return value
