"""What one request costs the application itself: its ASGI app called in this process, with no
server, socket or load generator around it, timed in CPU time (time.process_time), so that a
busy neighbour on a shared machine does not count. The figure to compare the request path's
own cost by, between two commits or against a bare Litestar app.

    python -m bench.in_process                        GET /api/test/all, memory storage
    python -m bench.in_process --bare                 bench/hello.py's GET /, the ceiling
    python -m bench.in_process --path /api/test/user --token "$TOKEN"
                                                      with DATABASE_URL, JWT_SECRET, DATA_DIR
                                                      of the server that issued the token

It prints the best of `--rounds` rounds: the least disturbed one. The application is built the
way a served worker builds it (settings from the environment, logging configured; its lines go
to /dev/null), so the access line and the metrics are included. Run it from another commit's
checkout (`cd /tmp/before && python /path/to/this/bench/in_process.py`) to measure that commit's
code: the application is imported from the current directory.
"""

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import uvloop
from litestar import Litestar

_CLIENT = ("127.0.0.1", 50000)
_SERVER = ("127.0.0.1", 8080)


async def _cost(app: Any, path: str, headers: list[tuple[bytes, bytes]], args: Any) -> float:
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    def scope() -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": _CLIENT,
            "server": _SERVER,
            "state": {},
        }

    for _ in range(args.requests // 10):  # warm: caches, pools, the token's verification
        await app(scope(), receive, send)
    best = float("inf")
    for _ in range(args.rounds):
        started = time.process_time()
        for _ in range(args.requests):
            await app(scope(), receive, send)
        best = min(best, (time.process_time() - started) / args.requests)
    if statuses != {200}:
        raise SystemExit(f"GET {path} answered {sorted(statuses)}, not only 200")
    return best * 1e6


async def _measure(
    app: Litestar, path: str, headers: list[tuple[bytes, bytes]], args: Any
) -> float:
    async with Lifespan(app):
        return await _cost(app, path, headers, args)


class Lifespan:
    """The ASGI lifespan protocol around the measurement: startup, then shutdown."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> None:
        self._task = asyncio.create_task(
            self._app(
                {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                self._to_app.get,
                self._from_app.put,
            )
        )
        await self._to_app.put({"type": "lifespan.startup"})
        answer = await self._from_app.get()
        if answer["type"] != "lifespan.startup.complete":
            raise SystemExit(f"the application did not start: {answer}")

    async def __aexit__(self, *_: object) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._from_app.get()
        if self._task is not None:
            await self._task


def _application(bare: bool) -> Litestar:
    if bare:
        from bench.hello import create_app  # noqa: PLC0415 - only what is measured is imported

        return create_app()
    # Built as a served worker builds it, logging configured: the lines are made, and written
    # to /dev/null (the log writer keeps the standard error it finds).
    real_stderr = sys.stderr
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the writer's, for the process's life
    try:
        try:
            from entrypoints.http.app import create_served_app  # noqa: PLC0415
        except ImportError:  # a commit from before logging was configured per worker
            from entrypoints.http.app import create_app as create_served_app  # noqa: PLC0415
        return create_served_app()
    finally:
        sys.stderr = real_stderr


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.in_process", description=__doc__)
    parser.add_argument("--path", default="/api/test/all")
    parser.add_argument("--token", help="sent as x-access-token")
    parser.add_argument("--bare", action="store_true", help="bench/hello.py's app, GET /")
    parser.add_argument("--requests", type=int, default=10_000, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("DATABASE_URL", "memory://")
    os.environ.setdefault("JWT_SECRET", "in-process-measurement-secret-of-40-chars")
    sys.path.insert(0, os.getcwd())  # the checkout it is run from, as `python -m` would
    path = "/" if args.bare else args.path
    headers = [(b"host", b"localhost"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    if args.token:
        headers.append((b"x-access-token", args.token.encode()))
    # The event loop a served worker runs (granian picks uvloop when it is installed).
    cost = uvloop.run(_measure(_application(args.bare), path, headers, args))
    print(f"GET {path}: {cost:.1f} us of CPU a request (best of {args.rounds} x {args.requests})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
