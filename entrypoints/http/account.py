"""The signed-in caller's own account: the token is taken as for /api/test/user."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, delete, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from application.accounts.change_password import ChangePassword, ChangePasswordRequest
from application.accounts.delete_own_account import DeleteOwnAccount, DeleteOwnAccountRequest
from application.accounts.get_own_account import GetOwnAccount
from application.sessions.end_own_session import EndOwnSession, EndOwnSessionRequest
from application.sessions.end_own_sessions import EndOwnSessions
from application.sessions.list_own_sessions import ListOwnSessions
from entrypoints.http.openapi import ACCESS_TOKEN, PathParameterOperation, or_cross_site, refusals
from entrypoints.http.schemas import (
    ChangePasswordBody,
    MessageBody,
    OwnAccountAnswer,
    PasswordBody,
    SecondFactorStatus,
    SessionAnswer,
)

AnyRequest = Request[Any, Any, Any]
# Every answer here needs the caller's access token, taken as for /api/test/user.
_SIGNED_IN = (401, 403, 503)
_MEANINGS = {
    400: "A missing or invalid field, the password is not the caller's, or the caller has a "
    "second factor and its code is missing (`Two-factor code required.`) or wrong "
    "(`Invalid code.`).",
    403: or_cross_site("No token was sent."),
    404: "No live session of the caller has this id.",
    409: "The caller is the last enabled administrator.",
}


def _refusals(*status_codes: int) -> dict[int, ResponseSpec]:
    return refusals(*_SIGNED_IN, *status_codes, meanings=_MEANINGS)


class AccountController(Controller):
    path = "/api/user"
    tags = ["account"]
    security = ACCESS_TOKEN

    @get("/me", responses=_refusals())
    async def me(self, get_account: FromDishka[GetOwnAccount]) -> OwnAccountAnswer:
        own = await get_account.execute()
        user = own.user
        return OwnAccountAnswer(
            id=user.id,
            username=user.username.value,
            email=user.email.value,
            roles=[role.authority for role in user.ordered_roles],
            email_verified=user.email_verified,
            created_at=user.created_at,
            mfa=SecondFactorStatus(
                totp=user.second_factor, recovery_codes_left=own.recovery_codes_left
            ),
            passkeys=own.passkeys,
        )

    @post(
        "/password",
        status_code=HTTP_200_OK,
        # A wrong current password counts as a failed signin, and is throttled like one.
        responses=_refusals(400, 413, 415, 429),
    )
    async def change_password(
        self,
        data: JSONBody[ChangePasswordBody],
        change: FromDishka[ChangePassword],
    ) -> MessageBody:
        """Every other session of the caller ends; this one stays."""
        await change.execute(
            ChangePasswordRequest(
                current_password=data.current_password,
                new_password=data.new_password,
                code=data.code,
            )
        )
        return MessageBody("Password changed.")

    @delete(
        "/me",
        status_code=HTTP_200_OK,
        responses=_refusals(400, 409, 413, 415, 429),
    )
    async def delete_account(
        self,
        data: JSONBody[PasswordBody],
        delete_own: FromDishka[DeleteOwnAccount],
    ) -> MessageBody:
        """Deletes the caller's account, password required; every session ends."""
        await delete_own.execute(
            DeleteOwnAccountRequest(
                password=data.password,
                code=data.code,
            )
        )
        return MessageBody("Account deleted.")

    @get("/sessions", responses=_refusals())
    async def sessions(self, list_sessions: FromDishka[ListOwnSessions]) -> list[SessionAnswer]:
        """The caller's live sessions, newest first."""
        own = await list_sessions.execute()
        return [
            SessionAnswer(
                id=session.id,
                created_at=session.created_at,
                expires_at=session.expires_at,
                last_used_at=session.last_used_at,
                user_agent=session.user_agent,
                ip=session.ip,
                current=session.id == own.current_id,
            )
            for session in own.sessions
        ]

    @delete(
        "/sessions/{session_id:str}",
        status_code=HTTP_200_OK,
        responses=_refusals(404),
        operation_class=PathParameterOperation,
    )
    async def end_session(
        self,
        session_id: FromPath[str],
        end: FromDishka[EndOwnSession],
    ) -> MessageBody:
        await end.execute(
            EndOwnSessionRequest(
                session_id=session_id,
            )
        )
        return MessageBody("Session ended.")

    @delete("/sessions", status_code=HTTP_200_OK, responses=_refusals())
    async def end_sessions(
        self,
        end: FromDishka[EndOwnSessions],
    ) -> MessageBody:
        """Every session of the caller, this one included."""
        await end.execute()
        return MessageBody("Sessions ended.")
