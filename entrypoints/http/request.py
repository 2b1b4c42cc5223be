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

A body over MAX_BODY_SIZE is refused with 413 as soon as Litestar sees it (by Content-Length, or
once the bytes received pass the limit). Many clients (Python's http.client, SDKs) send their
whole body before they read anything: answered and closed at once, the connection was reset
under their writes and they saw a broken pipe, never the 413. So the rest of the body is read and
discarded first, up to DRAIN_LIMIT bytes and within the body's deadline; a client sending more,
or longer, gets its 413 with `Connection: close` at that point, so an endless body still ends.
"""

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection.base import empty_receive, empty_send
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from litestar.types import Receive, ReceiveMessage, Scope, Send

from entrypoints.http.body_refusals import BodyReadTimeout, MalformedBody, UnsupportedContentType

AnyRequest = Request[Any, Any, Any]
# How much of a refused body is read and discarded so that its client reads the 413: several
# times MAX_BODY_SIZE's default, bounded so that a refused request costs little more than an
# accepted one could.
DRAIN_LIMIT = 4 * 1024 * 1024


def request_class(body_read_timeout: float) -> type[AnyRequest]:
    class BoundedRequest(Request[Any, Any, Any]):
        __slots__ = ()

        def __init__(
            self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send
        ) -> None:
            super().__init__(scope, _before_deadline(receive, body_read_timeout), send)

        async def stream(self) -> AsyncGenerator[bytes, None]:
            try:
                async for chunk in super().stream():
                    yield chunk
            except HTTPException as error:
                if error.status_code != HTTP_413_REQUEST_ENTITY_TOO_LARGE:
                    raise
                announced = self.content_length
                drainable = announced is None or announced <= DRAIN_LIMIT
                if not (drainable and await _discarded_rest(self.receive)):
                    error.headers = {**(error.headers or {}), "Connection": "close"}
                raise

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


async def _discarded_rest(receive: Receive) -> bool:
    """Reads what the client still sends of a refused body, up to DRAIN_LIMIT bytes and the
    body's deadline: whether it all arrived (the connection can then serve another request)."""
    discarded = 0
    try:
        while discarded <= DRAIN_LIMIT:
            message = await receive()
            if message["type"] != "http.request":
                return False
            discarded += len(message["body"])
            if not message.get("more_body", False):
                return discarded <= DRAIN_LIMIT
    except HTTPException:  # the deadline passed, or the body ended broken
        pass
    return False


def _before_deadline(receive: Receive, timeout: float) -> Receive:
    """`receive`, refusing a body not complete within `timeout` seconds of its first read. Counted
    from there, not from the request's start, so that a request that never reads a body (every
    GET) never asks the event loop for the time: on CPython 3.11 that costs a getpid() system
    call, 1% of a served worker's time. The first read comes as the handler's parameters are
    resolved, before any of its work."""
    deadline: float | None = None
    complete = False

    async def receive_before_deadline() -> ReceiveMessage:
        nonlocal complete, deadline
        if complete:
            return await receive()
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + timeout
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
