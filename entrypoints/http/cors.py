"""CORS around Litestar's own CORS layer: that layer skipped where it has nothing to do, and its
refused preflights answered as the contract wants; and cross-site requests that the browser
authenticates with the cookie refused.

CORS keeps a foreign page from reading answers, and the 415 rule from sending JSON bodies without
a preflight, but a form may still POST to an action that reads no body (disable a user, sign
out), and the browser adds the cookie. SameSite does not help against a page of the same site on
another port or subdomain (`http://localhost:9999` is same-site with `http://localhost:8080`).
So a state-changing request whose token is the cookie is refused with 403 when it comes from
another origin than CORS_ORIGINS or the service's own. Which origin: the `Origin` header, which
browsers send with every cross-origin POST, PUT, PATCH and DELETE (`null` from a sandboxed or
privacy-sensitive context is foreign). Without it, `Sec-Fetch-Site` (`same-site`,
`cross-site`) decides, for a browser that sends that and not `Origin`. Neither header: not a
browser acting for another site (curl, a server), let through. A request with a token in a
header is never refused here: a foreign page cannot add one without a CORS preflight."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Litestar, Request
from litestar.middleware._internal.cors import CORSMiddleware
from litestar.types import ASGIApp

from entrypoints.http.tokens import authenticated_by_cookie

# Plain ASGI dictionaries: Litestar's TypedDicts cannot express "a start or a body message".
Message = dict[str, Any]

_REFUSED = 400


_ORIGIN = b"origin"


def cors_only_across_origins(app: Litestar) -> ASGIApp:
    """The application's handler, entering Litestar's CORS layer only for requests that name an
    Origin: what a browser sends across origins. Every other request (same origin, curl, a
    server, a health check) that layer passes straight on, after parsing all of its headers to
    find that out, a tenth of what GET /api/test/all costs."""
    handler = app.asgi_handler
    if not isinstance(handler, CORSMiddleware):  # no CORS_ORIGINS: no CORS layer
        return handler
    without_cors = handler.app

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        for name, _ in scope["headers"]:
            if name == _ORIGIN:
                await handler(scope, receive, send)
                return
        await without_cors(scope, receive, send)

    return middleware


def json_preflight_refusals(app: ASGIApp) -> ASGIApp:
    """Litestar answers a refused CORS preflight with a plain-text 400; the contract wants every
    error body as JSON with a `message`. This rewrites exactly that answer."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_as_json(message: Any) -> None:
            if message["type"] == "http.response.start" and _is_plain_refusal(message):
                held.append(message)
                return
            if held and message["type"] == "http.response.body":
                held.append(message)
                if not message.get("more_body", False):
                    await _send_json(send, held)
                return
            await send(message)

        await app(scope, receive, send_as_json)

    return middleware


def _is_plain_refusal(start: Message) -> bool:
    content_type: bytes = dict(start.get("headers", ())).get(b"content-type", b"")
    return start["status"] == _REFUSED and content_type.startswith(b"text/plain")


async def _send_json(send: Any, held: list[Message]) -> None:
    start, *chunks = held
    text = b"".join(chunk.get("body", b"") for chunk in chunks).decode(errors="replace")
    body = msgspec.json.encode({"message": f"{text}."})
    headers = [
        (name, value)
        for name, value in start.get("headers", ())
        if name.lower() not in (b"content-type", b"content-length")
    ]
    headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FOREIGN_FETCH_SITES = frozenset({"same-site", "cross-site"})
_CROSS_SITE_ANSWER = msgspec.json.encode({"message": "Cross-site request refused."})


def cross_site_cookie_refusals(app: ASGIApp, allowed_origins: Sequence[str]) -> ASGIApp:
    """403 to a state-changing request authenticated by the cookie from a foreign origin (see
    above), before anything reads its body. Other methods pass at the cost of one set lookup."""
    allowed = frozenset(origin.lower() for origin in allowed_origins)

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in _STATE_CHANGING:
            request: Request[Any, Any, Any] = Request(scope)
            if authenticated_by_cookie(request) and _from_foreign_origin(request, allowed):
                await _send_cross_site_refusal(send)
                return
        await app(scope, receive, send)

    return middleware


def _from_foreign_origin(request: Request[Any, Any, Any], allowed: frozenset[str]) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "").lower() in _FOREIGN_FETCH_SITES
    origin = origin.strip().lower().rstrip("/")
    if origin in allowed:
        return False
    # The service's own origin: the page this server (or its proxy, under the same Host) served.
    host = request.headers.get("host", "").strip().lower()
    try:
        own = bool(host) and urlsplit(origin).netloc == host
    except ValueError:
        own = False
    return not own


async def _send_cross_site_refusal(send: Any) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(_CROSS_SITE_ANSWER)),
    ]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": _CROSS_SITE_ANSWER})
