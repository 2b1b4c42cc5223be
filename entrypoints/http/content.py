from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, MediaType, Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response.base import ASGIResponse

from application.access.authorize_access import AuthorizeAccess
from application.shared.authorization import Resource
from entrypoints.http.openapi import ACCESS_TOKEN, refusals

AnyRequest = Request[Any, Any, Any]
_TEXT = MediaType.TEXT  # Litestar adds "; charset=utf-8"
# Documented by hand: the handlers return an ASGIResponse (see `_text`), whose type tells
# Litestar nothing of the body.
_TEXT_ANSWER = {
    200: ResponseSpec(
        data_container=str,
        media_type=_TEXT,
        description="Request fulfilled, document follows",
        generate_examples=False,
    )
}
_PROTECTED = _TEXT_ANSWER | refusals(
    401,
    403,
    503,
    meanings={
        401: "The access token is expired (`Unauthorized! Access Token was expired!`: refresh "
        "it) or not valid.",
        403: "No token was sent, or its user lacks the role.",
    },
)


def _text(content: str) -> ASGIResponse:
    """A resource's answer, made once: the same bytes and headers Litestar makes of a returned
    `str` (`text/plain; charset=utf-8`, its length), without making them again on every
    request: a `Response`, its header multidict and its encoding were about 25 us of the
    200 us a protected read costs in process (`bench.in_process`). An ASGIResponse without
    cookies or a background task only reads itself when it is sent, and its headers are a
    new list each time, so one serves every request."""
    return ASGIResponse(body=content.encode(), media_type=_TEXT)


_PUBLIC_CONTENT = _text("Public Content.")
_USER_CONTENT = _text("User Content.")
_MODERATOR_CONTENT = _text("Moderator Content.")
_ADMIN_CONTENT = _text("Admin Content.")


class ContentController(Controller):
    """The sample resources the clients show per role."""

    path = "/api/test"
    tags = ["content"]

    @get("/all", media_type=_TEXT, responses=_TEXT_ANSWER)
    async def public(self) -> ASGIResponse:
        return _PUBLIC_CONTENT

    @get("/user", media_type=_TEXT, responses=_PROTECTED, security=ACCESS_TOKEN)
    async def user(self, authorize: FromDishka[AuthorizeAccess]) -> ASGIResponse:
        await authorize.execute(Resource.USER_CONTENT)
        return _USER_CONTENT

    @get("/mod", media_type=_TEXT, responses=_PROTECTED, security=ACCESS_TOKEN)
    async def moderator(self, authorize: FromDishka[AuthorizeAccess]) -> ASGIResponse:
        await authorize.execute(Resource.MODERATOR_CONTENT)
        return _MODERATOR_CONTENT

    @get("/admin", media_type=_TEXT, responses=_PROTECTED, security=ACCESS_TOKEN)
    async def admin(self, authorize: FromDishka[AuthorizeAccess]) -> ASGIResponse:
        await authorize.execute(Resource.ADMIN_CONTENT)
        return _ADMIN_CONTENT
