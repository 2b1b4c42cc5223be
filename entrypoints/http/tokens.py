"""Where a request may carry its access token, in the contract's order."""

from litestar import Request

ACCESS_TOKEN_COOKIE = "authgate-access-token"
COOKIE_PATH = "/api"


def presented_access_token(request: Request[object, object, object]) -> str | None:
    headers = request.headers
    if token := headers.get("x-access-token", "").strip():
        return token
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(ACCESS_TOKEN_COOKIE) or None
