"""An answer's `Allow` header names every method of its path, not only some of them.

Litestar 2 answers OPTIONS with a handler that `HTTPRoute.__init__` adds to a route that has none
(litestar/routes/http.py, lines 45-50), and that handler lists `self.methods` of the route that
created it (line 236). A Controller's router registers its handlers one at a time
(`Router.register`, litestar/router.py, lines 224-248): the first handler of a path makes a route
with its own method and OPTIONS; a later handler of the same path makes a new route from the old
one's handlers, the automatic OPTIONS handler included, so no new one is made, and the one kept
still reads the methods of the first, discarded route. The routers above keep that handler too,
so OPTIONS /api/user/me said `Allow: DELETE, OPTIONS` although GET is there too. This is
litestar-org/litestar#4169, fixed only in Litestar 3 (the 2.x fix, #4170, was not merged).

The correction: a path's methods are read from the app's final routes once, and the `Allow`
header of an OPTIONS answer on a matched path is set from them. A 405 has no matched route (no
`path_template`) and keeps the header the router writes from its routing table, which is right.
"""

from collections.abc import Iterable
from typing import Any

from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ASGIApp

_ALLOW = b"allow"


def every_method_allowed(app: ASGIApp, routes: Iterable[BaseRoute]) -> ASGIApp:
    allowed = {
        route.path_format: ", ".join(sorted(route.methods)).encode()
        for route in routes
        if isinstance(route, HTTPRoute)
    }

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        # Only the automatic OPTIONS handler writes a wrong Allow; every other request passes.
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await app(scope, receive, send)
            return

        async def send_with_every_method(message: Any) -> None:
            if message["type"] == "http.response.start" and (
                methods := allowed.get(scope.get("path_template", ""))
            ):
                headers = message.get("headers", ())
                if any(name.lower() == _ALLOW for name, _ in headers):
                    message = {
                        **message,
                        "headers": [
                            (name, methods if name.lower() == _ALLOW else value)
                            for name, value in headers
                        ],
                    }
            await send(message)

        await app(scope, receive, send_with_every_method)

    return middleware
