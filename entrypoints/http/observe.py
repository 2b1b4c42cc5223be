"""Every HTTP request counted, timed and logged in one access line, under a request id.

The request id is the client's X-Request-ID when it is a plausible id (1 to 64 letters, digits,
`.`, `_`, `:` or `-`), else a new one; it is echoed in the answer's X-Request-ID and is on
every log line of the request. Metrics and the access line name the route template, never the
raw path: the number of series stays bounded whatever paths clients send, and a path never
carries anything secret into a log.

Plain ASGI around the whole application, so that it sees every answer, refusals by the router
and the CORS layer included, with one timer and one closure per request. Being outermost, it
also adds the headers every answer carries (entrypoints/http/headers.py), in the same copy of
the answer's start that adds the request id."""

import itertools
import os
import re
from collections.abc import Sequence
from time import perf_counter
from typing import Any

from litestar import Request
from litestar.types import ASGIApp

from adapters.prometheus_metrics import RequestMetrics
from entrypoints.http.client import Network, client_address
from entrypoints.http.headers import AnswerHeaders
from entrypoints.logs import log_access, request_id, user_id

# The route label of a request no route matched (404, 405).
UNMATCHED = "unmatched"
REQUEST_ID_HEADER = b"x-request-id"
_PLAUSIBLE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
# A new id is this process's random prefix and a serial number: unique across processes and
# restarts in practice, and, unlike a random id per request, no system call. Ids are for
# following a request, not secrets.
_ID_PREFIX = os.urandom(8).hex()
_id_numbers = itertools.count(1)


def observed(
    app: ASGIApp,
    metrics: RequestMetrics,
    trusted_proxies: Sequence[Network],
    *,
    access_log: bool,
    headers: AnswerHeaders | None = None,
) -> ASGIApp:
    added = headers or AnswerHeaders(())

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = perf_counter()
        given = _request_id_of(scope["headers"])
        rid = given.decode() if given else f"{_ID_PREFIX}-{next(_id_numbers):x}"
        answer_headers = (*added.of(scope["path"]), (REQUEST_ID_HEADER, given or rid.encode()))
        request_token, user_token = request_id.set(rid), user_id.set(None)
        status = 500  # what the server answers if the application fails before it starts one

        async def send_observed(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), *answer_headers]}
            await send(message)

        try:
            await app(scope, receive, send_observed)
        finally:
            elapsed = perf_counter() - started
            method, route = scope["method"], scope.get("path_template", UNMATCHED)
            metrics.observe(method, route, status, elapsed)
            if access_log:
                log_access(method, route, status, elapsed, _client(scope, trusted_proxies))
            user_id.reset(user_token)
            request_id.reset(request_token)

    return middleware


def _request_id_of(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            return value if _PLAUSIBLE_ID.fullmatch(value) else None
    return None


def _client(scope: Any, trusted_proxies: Sequence[Network]) -> str:
    if trusted_proxies:
        return client_address(Request(scope), trusted_proxies)
    peer = scope.get("client")
    return str(peer[0]) if peer else "unknown"
