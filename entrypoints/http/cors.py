"""CORS around Litestar's own CORS layer: that layer skipped where it has nothing to do, and its
refused preflights answered as the contract wants."""

from typing import Any

import msgspec
from litestar import Litestar
from litestar.middleware._internal.cors import CORSMiddleware
from litestar.types import ASGIApp

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
