"""Administration of other people's accounts and the audit trail: administrators only."""

from typing import Annotated, Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, delete, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from application.admin.delete_user import DeleteUser
from application.admin.disable_user import DisableUser
from application.admin.enable_user import EnableUser
from application.admin.end_user_sessions import EndUserSessions
from application.admin.get_user import GetUser
from application.admin.list_users import ListUsers, ListUsersRequest
from application.admin.read_audit_trail import ReadAuditTrail, ReadAuditTrailRequest
from application.admin.reset_second_factor import ResetSecondFactor
from application.admin.set_user_roles import SetUserRoles, SetUserRolesRequest
from application.ports.user_listing import UserSummary
from domain.audit import AuditEvent
from domain.user import User
from entrypoints.http.openapi import ACCESS_TOKEN, PathParameterOperation, or_cross_site, refusals
from entrypoints.http.schemas import (
    AuditEventAnswer,
    AuditPageAnswer,
    MessageBody,
    RolesBody,
    UserAnswer,
    UsersPageAnswer,
)

AnyRequest = Request[Any, Any, Any]
# Every answer here needs an administrator's access token.
_ADMINISTRATOR = (401, 403, 503)
_MEANINGS = {
    400: "A missing or invalid field or query parameter (the message names it).",
    403: or_cross_site(
        "No token was sent, or its user is not an administrator (`Require Admin Role!`), or, "
        "under REQUIRE_ADMIN_MFA, an administrator without a second factor."
    ),
    404: "No user has this id.",
    409: "The user is the last enabled administrator.",
}


def _refusals(*status_codes: int) -> dict[int, ResponseSpec]:
    return refusals(*_ADMINISTRATOR, *status_codes, meanings=_MEANINGS)


class AdminController(Controller):
    path = "/api/admin"
    tags = ["administration"]
    security = ACCESS_TOKEN

    @get("/users", responses=_refusals(400))
    async def list_users(
        self,
        list_users: FromDishka[ListUsers],
        search: Annotated[
            str | None, QueryParameter(name="query", description="start of a username or email")
        ] = None,
        role: Annotated[str | None, QueryParameter(description="user, moderator or admin")] = None,
        disabled: FromQuery[bool | None] = None,
        limit: Annotated[int | None, QueryParameter(description="1 to 200, default 50")] = None,
        cursor: Annotated[str | None, QueryParameter(description="a page's nextCursor")] = None,
    ) -> UsersPageAnswer:
        """Users by id, a page at a time."""
        page = await list_users.execute(ListUsersRequest(search, role, disabled, limit, cursor))
        return UsersPageAnswer(
            items=[user_answer(user) for user in page.items], next_cursor=page.next_cursor
        )

    @get("/users/{user_id:int}", responses=_refusals(404), operation_class=PathParameterOperation)
    async def get_user(
        self,
        user_id: FromPath[int],
        get_user: FromDishka[GetUser],
    ) -> UserAnswer:
        return user_answer(await get_user.execute(user_id))

    @put(
        "/users/{user_id:int}/roles",
        status_code=HTTP_200_OK,
        responses=_refusals(400, 404, 409, 413, 415),
    )
    async def set_roles(
        self,
        request: AnyRequest,
        user_id: FromPath[int],
        data: JSONBody[RolesBody],
        set_roles: FromDishka[SetUserRoles],
    ) -> UserAnswer:
        """Replaces the roles; they hold from the user's next request."""
        user = await set_roles.execute(SetUserRolesRequest(user_id, data.roles))
        return user_answer(user)

    @post(
        "/users/{user_id:int}/disable",
        status_code=HTTP_200_OK,
        responses=_refusals(404, 409),
        operation_class=PathParameterOperation,
    )
    async def disable(
        self,
        user_id: FromPath[int],
        disable: FromDishka[DisableUser],
    ) -> UserAnswer:
        """Ends every session of the user and refuses their signin."""
        return user_answer(await disable.execute(user_id))

    @post(
        "/users/{user_id:int}/enable",
        status_code=HTTP_200_OK,
        responses=_refusals(404),
        operation_class=PathParameterOperation,
    )
    async def enable(
        self,
        user_id: FromPath[int],
        enable: FromDishka[EnableUser],
    ) -> UserAnswer:
        return user_answer(await enable.execute(user_id))

    @delete(
        "/users/{user_id:int}",
        status_code=HTTP_200_OK,
        responses=_refusals(404, 409),
        operation_class=PathParameterOperation,
    )
    async def delete_user(
        self,
        user_id: FromPath[int],
        delete_user: FromDishka[DeleteUser],
    ) -> MessageBody:
        await delete_user.execute(user_id)
        return MessageBody("User deleted.")

    @delete(
        "/users/{user_id:int}/sessions",
        status_code=HTTP_200_OK,
        responses=_refusals(404),
        operation_class=PathParameterOperation,
    )
    async def end_sessions(
        self,
        user_id: FromPath[int],
        end_sessions: FromDishka[EndUserSessions],
    ) -> MessageBody:
        await end_sessions.execute(user_id)
        return MessageBody("Sessions ended.")

    @delete(
        "/users/{user_id:int}/mfa",
        status_code=HTTP_200_OK,
        responses=_refusals(404),
        operation_class=PathParameterOperation,
    )
    async def reset_second_factor(
        self,
        user_id: FromPath[int],
        reset: FromDishka[ResetSecondFactor],
    ) -> UserAnswer:
        """Turns the user's two-factor off (for one who lost their authenticator and recovery
        codes): the recovery codes go, and every session ends."""
        return user_answer(await reset.execute(user_id))

    @get("/audit", responses=_refusals(400))
    async def audit(
        self,
        read_trail: FromDishka[ReadAuditTrail],
        user_id: Annotated[int | None, QueryParameter(name="userId")] = None,
        event_type: Annotated[str | None, QueryParameter(name="type")] = None,
        limit: Annotated[int | None, QueryParameter(description="1 to 200, default 50")] = None,
        cursor: Annotated[str | None, QueryParameter(description="a page's nextCursor")] = None,
    ) -> AuditPageAnswer:
        """Audit events, newest first."""
        page = await read_trail.execute(ReadAuditTrailRequest(user_id, event_type, limit, cursor))
        return AuditPageAnswer(
            items=[audit_event_answer(event) for event in page.items],
            next_cursor=page.next_cursor,
        )


def user_answer(user: User | UserSummary) -> UserAnswer:
    return UserAnswer(
        id=user.id,
        username=user.username.value,
        email=user.email.value,
        roles=[role.authority for role in user.ordered_roles],
        disabled=user.disabled,
        email_verified=user.email_verified,
        created_at=user.created_at,
        last_signin_at=user.last_signin_at,
        mfa=user.second_factor,
    )


def audit_event_answer(event: AuditEvent) -> AuditEventAnswer:
    return AuditEventAnswer(
        id=event.id or 0,
        at=event.at,
        type=event.type.value,
        user_id=event.user_id,
        actor_id=event.actor_id,
        ip=event.ip,
        user_agent=event.user_agent,
        detail=dict(event.detail),
    )
