"""Where a request may carry its access token, in the contract's order."""

from collections.abc import Iterable
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie, Headers

from application.shared.signins import SignedIn
from entrypoints.http.schemas import SigninAnswer
from entrypoints.logs import note_user
from entrypoints.settings import EdgeSettings

ACCESS_TOKEN_COOKIE = "authgate-access-token"  # noqa: S105 - a name, not a secret
COOKIE_PATH = "/api"

_TOKEN_HEADER = b"x-access-token"
_AUTHORIZATION = b"authorization"


def presented_access_token(request: Request[Any, Any, Any]) -> str | None:
    # Read off the request's raw headers: every protected request asks, and Litestar's Headers
    # would first copy all of them into a multidict. The cookie, rarer, is read as before.
    return (
        _raw_header_token(request.scope["headers"])
        or request.cookies.get(ACCESS_TOKEN_COOKIE)
        or None
    )


def authenticated_by_cookie(request: Request[Any, Any, Any]) -> bool:
    """Whether the cookie is the token this request presents: the one credential a browser adds
    by itself to a request another site's page makes (entrypoints/http/cors.py)."""
    return header_access_token(request.headers) is None and bool(
        request.cookies.get(ACCESS_TOKEN_COOKIE)
    )


def header_access_token(headers: Headers) -> str | None:
    return _token_of(headers.get("x-access-token"), headers.get("authorization"))


def _raw_header_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """`header_access_token` over the ASGI scope's headers: each header's first value, its name
    matched whatever its case, its value decoded as Latin-1, as Litestar's Headers give them."""
    token = authorization = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == _TOKEN_HEADER:
            if token is None:
                token = value
        elif lowered == _AUTHORIZATION and authorization is None:
            authorization = value
    return _token_of(
        None if token is None else token.decode("latin-1"),
        None if authorization is None else authorization.decode("latin-1"),
    )


def _token_of(token: str | None, authorization: str | None) -> str | None:
    if token := (token or "").strip():
        return token
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def access_cookie(value: str, max_age: int, edge: EdgeSettings) -> Cookie:
    """The access token for cookie clients, as every signin sets it and sign-out clears it."""
    return Cookie(
        key=ACCESS_TOKEN_COOKIE,
        value=value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=edge.cookie_secure,
    )


def signin_response(result: SignedIn, edge: EdgeSettings) -> Response[SigninAnswer]:
    """The answer of every completed signin, whichever steps it took: the clients' object, and
    the access token as a cookie."""
    user, access = result.user, result.access_token
    note_user(user.id)
    answer = SigninAnswer(
        id=user.id,
        username=user.username.value,
        email=user.email.value,
        roles=[role.authority for role in user.ordered_roles],
        accessToken=access.value,
        tokenType="Bearer",
        refreshToken=result.refresh_token.value,
        expiresIn=access.expires_in,
    )
    return Response(answer, cookies=[access_cookie(access.value, access.expires_in, edge)])
