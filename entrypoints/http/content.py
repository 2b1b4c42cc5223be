from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, MediaType, Request, get

from application.access.authorize_access import AuthorizeAccess
from application.shared.authorization import Resource
from entrypoints.http.openapi import ACCESS_TOKEN, refusals

AnyRequest = Request[Any, Any, Any]
_TEXT = MediaType.TEXT  # Litestar adds "; charset=utf-8"
_PROTECTED = refusals(
    401,
    403,
    503,
    meanings={
        401: "The access token is expired (`Unauthorized! Access Token was expired!`: refresh "
        "it) or not valid.",
        403: "No token was sent, or its user lacks the role.",
    },
)


class ContentController(Controller):
    """The sample resources the clients show per role."""

    path = "/api/test"
    tags = ["content"]

    @get("/all", media_type=_TEXT)
    async def public(self) -> str:
        return "Public Content."

    @get("/user", media_type=_TEXT, responses=_PROTECTED, security=ACCESS_TOKEN)
    async def user(self, authorize: FromDishka[AuthorizeAccess]) -> str:
        await authorize.execute(Resource.USER_CONTENT)
        return "User Content."

    @get("/mod", media_type=_TEXT, responses=_PROTECTED, security=ACCESS_TOKEN)
    async def moderator(self, authorize: FromDishka[AuthorizeAccess]) -> str:
        await authorize.execute(Resource.MODERATOR_CONTENT)
        return "Moderator Content."

    @get("/admin", media_type=_TEXT, responses=_PROTECTED, security=ACCESS_TOKEN)
    async def admin(self, authorize: FromDishka[AuthorizeAccess]) -> str:
        await authorize.execute(Resource.ADMIN_CONTENT)
        return "Admin Content."
