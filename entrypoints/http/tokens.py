"""Where a request may carry its access token, in the contract's order."""

from typing import Any

from litestar import Request
from litestar.datastructures import Headers

ACCESS_TOKEN_COOKIE = "authgate-access-token"  # noqa: S105 - a name, not a secret
COOKIE_PATH = "/api"


def presented_access_token(request: Request[Any, Any, Any]) -> str | None:
    return header_access_token(request.headers) or request.cookies.get(ACCESS_TOKEN_COOKIE) or None


def authenticated_by_cookie(request: Request[Any, Any, Any]) -> bool:
    """Whether the cookie is the token this request presents: the one credential a browser adds
    by itself to a request another site's page makes (entrypoints/http/cors.py)."""
    return header_access_token(request.headers) is None and bool(
        request.cookies.get(ACCESS_TOKEN_COOKIE)
    )


def header_access_token(headers: Headers) -> str | None:
    if token := headers.get("x-access-token", "").strip():
        return token
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None
