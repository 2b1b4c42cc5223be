"""JSON endpoints take only bodies labelled JSON.

A page on any origin may send a "simple" cross-origin request, one the browser sends without a
CORS preflight: a POST whose body is text/plain, a form, or unlabelled. Refusing every other label
means a foreign page can only reach these endpoints after the preflight, which CORS_ORIGINS
decides. A request without a body carries no label to check, and is left to the endpoint.
"""

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from entrypoints.http.errors import UnsupportedContentType

_JSON = "application/json"


def json_bodies_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard for every route: the ones without a `data` parameter take no body."""
    if "data" not in handler.parsed_fn_signature.parameters:
        return
    headers = connection.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != _JSON:
        raise UnsupportedContentType
