"""The access token read off the raw headers is the one Litestar's Headers give."""

from typing import Any

import pytest
from litestar import Request

from entrypoints.http.tokens import header_access_token, presented_access_token

HEADER_SETS = [
    [],
    [(b"x-access-token", b"abc")],
    [(b"x-access-token", b"  abc  ")],
    [(b"x-access-token", b"")],
    [(b"x-access-token", b"   "), (b"authorization", b"Bearer def")],
    [(b"X-Access-Token", b"abc")],
    [(b"x-access-token", b"first"), (b"x-access-token", b"second")],
    [(b"authorization", b"Bearer def")],
    [(b"authorization", b"bearer   def  ")],
    [(b"Authorization", b"Basic xyz")],
    [(b"authorization", b"Bearer")],
    [(b"authorization", b"Bearer one"), (b"authorization", b"Bearer two")],
    [(b"authorization", b"Bearer def"), (b"x-access-token", b"abc")],
    [(b"x-access-token", "caf\u00e9".encode("latin-1"))],
    [(b"cookie", b"authgate-access-token=cookie-token")],
    [(b"cookie", b"authgate-access-token=cookie-token"), (b"x-access-token", b"abc")],
]


def _request(headers: list[tuple[bytes, bytes]]) -> Request[Any, Any, Any]:
    return Request({"type": "http", "headers": headers, "state": {}})  # type: ignore[arg-type]


@pytest.mark.parametrize("headers", HEADER_SETS)
def test_the_raw_headers_give_the_token_the_parsed_headers_give(
    headers: list[tuple[bytes, bytes]],
) -> None:
    request = _request(headers)
    expected = header_access_token(request.headers) or request.cookies.get("authgate-access-token")
    assert presented_access_token(_request(headers)) == (expected or None)
