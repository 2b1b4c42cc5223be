"""A bare Litestar app, served by granian the way `authgate serve` serves Authgate: the ceiling
that Authgate's public GET /api/test/all is compared with. What Authgate reaches below it is the
cost of its request path (middleware, dependency injection, CORS, error handling).

`python -m bench.hello --port P --workers N`; answers GET / with a plain-text body.
"""

import argparse
import sys
from collections.abc import Sequence

from granian.constants import Interfaces
from granian.server import Server
from litestar import Litestar, MediaType, get

from testkit.servers import HOST


@get("/", media_type=MediaType.TEXT, sync_to_thread=False)
def hello() -> str:
    return "Public Content."


def create_app() -> Litestar:
    return Litestar(route_handlers=[hello], openapi_config=None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hello", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    args = parser.parse_args(argv)
    # The same settings as entrypoints.cli.serve_http gives granian.
    Server(
        "bench.hello:create_app",
        address=HOST,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        factory=True,
        log_access=False,
    ).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
