"""How a request body is read: within a deadline, only when labelled JSON, and never into a 500
when it is malformed.

granian bounds the time to send headers but not a body, so a client sending one byte every few
seconds would hold its worker's connection slot and its task forever. Litestar reads every body
through `Request.receive`, so the deadline goes there, and costs nothing to requests without a
body. Litestar turns the decoder's own errors into 400s but lets invalid UTF-8 and deep nesting
escape as 500s, and takes a broken chunked body for a client that went away (a 500 as well).

Litestar also decodes any body as JSON whatever its Content-Type. A page on any origin may send
a "simple" request, one the browser sends without a CORS preflight: a POST whose body is
text/plain, a form, or unlabelled. Refusing every label but JSON where a body is decoded means
a foreign page reaches the JSON endpoints only after the preflight, which CORS_ORIGINS decides.
A request without a body is never decoded, so it stays free to omit the label. (A guard would
do the same, but Litestar copies the route handler for each guard call: 20 us on every request.)
"""

import asyncio
from typing import Any

from litestar import Request
from litestar.connection.base import empty_receive, empty_send
from litestar.types import Receive, ReceiveMessage, Scope, Send

from entrypoints.http.errors import BodyReadTimeout, MalformedBody, UnsupportedContentType

AnyRequest = Request[Any, Any, Any]


def request_class(body_read_timeout: float) -> type[AnyRequest]:
    class BoundedRequest(Request[Any, Any, Any]):
        __slots__ = ()

        def __init__(
            self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send
        ) -> None:
            super().__init__(scope, _before_deadline(receive, body_read_timeout), send)

        async def json(self) -> Any:
            if self.content_type[0].lower() != "application/json":
                raise UnsupportedContentType
            try:
                return await super().json()
            except UnicodeDecodeError:
                raise MalformedBody("it is not valid UTF-8.") from None
            except RecursionError:
                raise MalformedBody("it is nested too deeply.") from None

    return BoundedRequest


def _before_deadline(receive: Receive, timeout: float) -> Receive:
    deadline = asyncio.get_running_loop().time() + timeout
    complete = False

    async def receive_before_deadline() -> ReceiveMessage:
        nonlocal complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise BodyReadTimeout from None
        if message["type"] == "http.disconnect":
            # granian reports a body it cannot parse (a bad chunk size) as a disconnect; a client
            # that really left never reads this answer anyway.
            raise MalformedBody("it ended before it was complete.")
        complete = not message.get("more_body", False)
        return message

    return receive_before_deadline
