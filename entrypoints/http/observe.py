"""Every HTTP request counted and timed, by its route template (never its raw path, so that the
number of series stays bounded whatever paths clients send).

Plain ASGI around the whole application, so that it sees every answer, refusals by the router
and the CORS layer included, with one timer and one closure per request."""

from time import perf_counter
from typing import Any

from litestar.types import ASGIApp

from adapters.prometheus_metrics import RequestMetrics

# The route label of a request no route matched (404, 405).
UNMATCHED = "unmatched"


def observed(app: ASGIApp, metrics: RequestMetrics) -> ASGIApp:
    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # what the server answers if the application fails before it starts one

        async def send_observed(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_observed)
        finally:
            route = scope.get("path_template", UNMATCHED)
            metrics.observe(scope["method"], route, status, perf_counter() - started)

    return middleware
