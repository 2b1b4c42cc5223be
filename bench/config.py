"""The bench's knobs, from BENCH_* environment variables."""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bench.errors import BenchError

DEFAULT_DATABASE_URL = "mysql+asyncmy://root@127.0.0.1:3306/"


@dataclass(frozen=True, slots=True)
class BenchConfig:
    server_url: URL
    """The MySQL server; its database part is ignored, the bench makes a throwaway database."""
    workers: int
    duration: int
    """Seconds each scenario is measured."""
    warmup: int
    """Seconds each scenario runs unmeasured first, 0 for none."""
    connections: int
    """Concurrent connections of the read and refresh scenarios."""
    threads: int
    """wrk threads per wrk process: they share the cores with the server under test."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "BenchConfig":
        env = os.environ if env is None else env
        return cls(
            server_url=_url(env.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL),
            workers=_integer(env, "BENCH_WORKERS", 2, low=1),
            duration=_integer(env, "BENCH_DURATION", 10, low=1),
            warmup=_integer(env, "BENCH_WARMUP", 2, low=0),
            connections=_integer(env, "BENCH_CONNECTIONS", 32, low=1),
            threads=_integer(env, "BENCH_THREADS", 1, low=1),
        )


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
