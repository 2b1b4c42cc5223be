"""Headers on every answer, errors and preflights included: the browser must never sniff a JSON
error into a script or a page, and, once configured, must keep to HTTPS."""

from litestar.types import BeforeMessageSendHookHandler, Message, Scope


def security_headers(hsts_max_age: int) -> BeforeMessageSendHookHandler:
    added = [(b"x-content-type-options", b"nosniff")]
    if hsts_max_age:
        added.append((b"strict-transport-security", b"max-age=%d" % hsts_max_age))

    async def add_security_headers(message: Message, _: Scope) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *added]

    return add_security_headers
