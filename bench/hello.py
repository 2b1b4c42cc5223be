"""A bare Litestar app, served by granian the way `authgate serve` serves Authgate: the ceiling
that Authgate's public GET /api/test/all is compared with. What Authgate reaches below it is the
cost of its request path (middleware, dependency injection, CORS, error handling).

`python -m bench.hello --port P --workers N`; answers GET / with a plain-text body.
"""

import argparse
import multiprocessing
import sys
from collections.abc import Sequence

from litestar import Litestar, MediaType, get

from testkit.servers import HOST


@get("/", media_type=MediaType.TEXT)
async def hello() -> str:  # as Authgate's GET /api/test/all, a coroutine
    return "Public Content."


def create_app() -> Litestar:
    return Litestar(route_handlers=[hello], openapi_config=None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hello", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    args = parser.parse_args(argv)
    # Imported here, not at the top: the workers import this module, and should hold the bare
    # app alone, not Authgate's modules.
    from entrypoints.cli import http_server  # noqa: PLC0415
    from entrypoints.settings import Settings  # noqa: PLC0415

    # Spawned workers and granian's settings exactly as `authgate serve` has them.
    multiprocessing.set_start_method("spawn", force=True)
    http_server(
        "bench.hello:create_app", Settings.of(host=HOST, port=args.port), args.workers
    ).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
