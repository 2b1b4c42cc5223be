"""Litestar answers a refused CORS preflight with a plain-text 400; the contract wants every error
body as JSON with a `message`. This wraps the application and rewrites exactly that answer."""

from typing import Any

import msgspec
from litestar.types import ASGIApp

# Plain ASGI dictionaries: Litestar's TypedDicts cannot express "a start or a body message".
Message = dict[str, Any]

_REFUSED = 400


def json_preflight_refusals(app: ASGIApp) -> ASGIApp:
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
