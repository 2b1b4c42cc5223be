"""What one request costs the application itself: its ASGI app called in this process, with no
server, socket or load generator around it, timed in CPU time (time.process_time), so that a
busy neighbour on a shared machine does not count. The figure to compare the request path's
own cost by, between two commits or against a bare Litestar app.

    python -m bench.in_process                        GET /api/test/all, memory storage
    python -m bench.in_process --bare                 bench/hello.py's GET /, the ceiling
    python -m bench.in_process --path /api/test/user --token "$TOKEN"
                                                      with DATABASE_URL, JWT_SECRET, DATA_DIR
                                                      of the server that issued the token
    python -m bench.in_process --signin               POST /api/auth/signin of one account
                                                      (signed up first if it is not there),
                                                      on DATABASE_URL's migrated database

A signin is timed on the event loop's thread alone (time.thread_time): the password's hash runs
on the hashing threads, and what is measured is everything else a signin costs the server.
BCRYPT_COST defaults to 4 there, so that the hash does not make the runs long, and RATE_LIMITS to
off, as `make bench` serves (one account signing in 500 times a round would be throttled).
`--profile FILE` writes cProfile's statistics of the measured rounds, timed as the figure is
(read them with `python -m pstats FILE`); its own overhead inflates the figures, so compare
shares, not microseconds, with it.

It prints the best of `--rounds` rounds: the least disturbed one. The application is built the
way a served worker builds it (settings from the environment, logging configured; its lines go
to /dev/null), so the access line and the metrics are included. Run it from another commit's
checkout (`cd /tmp/before && python /path/to/this/bench/in_process.py`) to measure that commit's
code: the application is imported from the current directory.
"""

import argparse
import asyncio
import cProfile
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import uvloop
from litestar import Litestar

_CLIENT = ("127.0.0.1", 50000)
_SERVER = ("127.0.0.1", 8080)


@dataclass(frozen=True, slots=True)
class Request:
    """What is sent, again and again: a GET, or a POST with a JSON body."""

    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""


async def _call(app: Any, request: Request) -> int:
    """One request through the ASGI app; its status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(
        {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": request.path,
            "raw_path": request.path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": request.headers,
            "client": _CLIENT,
            "server": _SERVER,
            "state": {},
        },
        receive,
        send,
    )
    return status


async def _cost(app: Any, request: Request, timer: Callable[[], float], args: Any) -> float:
    statuses: set[int] = set()
    for _ in range(max(1, args.requests // 10)):  # warm: caches, pools, the token's check
        statuses.add(await _call(app, request))
    profile = cProfile.Profile(timer) if args.profile else None
    best = float("inf")
    for _ in range(args.rounds):
        if profile is not None:
            profile.enable()
        started = timer()
        for _ in range(args.requests):
            statuses.add(await _call(app, request))
        best = min(best, (timer() - started) / args.requests)
        if profile is not None:
            profile.disable()
    if profile is not None:
        profile.dump_stats(args.profile)
    if statuses != {200}:
        raise SystemExit(
            f"{request.method} {request.path} answered {sorted(statuses)}, not only 200"
        )
    return best * 1e6


async def _measure(app: Litestar, request: Request, timer: Callable[[], float], args: Any) -> float:
    async with Lifespan(app):
        if request.method == "POST":
            await _sign_up(app, request)
        return await _cost(app, request, timer, args)


async def _sign_up(app: Any, signin: Request) -> None:
    """The account signed in with, unless a run before this one made it."""
    credentials = json.loads(signin.body)
    body = {**credentials, "email": f"{credentials['username']}@bench.example"}
    status = await _call(
        app, Request("POST", "/api/auth/signup", signin.headers, json.dumps(body).encode())
    )
    if status not in {200, 400}:  # 400: the username is taken, by this account
        raise SystemExit(f"POST /api/auth/signup answered {status}")


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
    parser = argparse.ArgumentParser(
        prog="python -m bench.in_process",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--path", default="/api/test/all")
    parser.add_argument("--token", help="sent as x-access-token")
    parser.add_argument("--bare", action="store_true", help="bench/hello.py's app, GET /")
    parser.add_argument("--signin", action="store_true", help="POST /api/auth/signin instead")
    parser.add_argument("--username", default="inprocess", help="the account --signin uses")
    parser.add_argument("--requests", type=int, help="per round (default 10,000; signin 500)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", metavar="FILE", help="cProfile's statistics, to FILE")
    args = parser.parse_args(argv)
    if args.requests is None:
        args.requests = 500 if args.signin else 10_000
    os.environ.setdefault("DATABASE_URL", "memory://")
    os.environ.setdefault("JWT_SECRET", "in-process-measurement-secret-of-40-chars")
    sys.path.insert(0, os.getcwd())  # the checkout it is run from, as `python -m` would
    headers = [(b"host", b"localhost"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    if args.token:
        headers.append((b"x-access-token", args.token.encode()))
    if args.signin:
        os.environ.setdefault("BCRYPT_COST", "4")
        os.environ.setdefault("RATE_LIMITS", "off")
        headers.append((b"content-type", b"application/json"))
        body = json.dumps({"username": args.username, "password": "in-process-password-1"})
        request = Request("POST", "/api/auth/signin", headers, body.encode())
        timer, timed = time.thread_time, "the event loop's thread"
    else:
        request = Request("GET", "/" if args.bare else args.path, headers)
        timer, timed = time.process_time, "CPU"
    # The event loop a served worker runs (granian picks uvloop when it is installed).
    cost = uvloop.run(_measure(_application(args.bare), request, timer, args))
    print(
        f"{request.method} {request.path}: {cost:.1f} us of {timed} a request "
        f"(best of {args.rounds} x {args.requests})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
