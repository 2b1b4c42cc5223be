"""Where a request may carry its access token, in the contract's order."""

from typing import Any

from litestar import Request

ACCESS_TOKEN_COOKIE = "authgate-access-token"  # noqa: S105 - a name, not a secret
COOKIE_PATH = "/api"


def presented_access_token(request: Request[Any, Any, Any]) -> str | None:
    headers = request.headers
    if token := headers.get("x-access-token", "").strip():
        return token
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(ACCESS_TOKEN_COOKIE) or None
