from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from application.recovery.request_password_reset import (
    RequestPasswordReset,
    RequestPasswordResetRequest,
)
from application.recovery.resend_verification import ResendVerification
from application.recovery.reset_password import ResetPassword, ResetPasswordRequest
from application.recovery.verify_email import VerifyEmail, VerifyEmailRequest
from entrypoints.http.openapi import ACCESS_TOKEN, CROSS_SITE, or_cross_site, refusals
from entrypoints.http.schemas import (
    ForgotPasswordBody,
    MessageBody,
    ResetPasswordBody,
    VerifyEmailBody,
)

AnyRequest = Request[Any, Any, Any]
_WITH_TOKEN = refusals(
    400,
    403,
    413,
    415,
    503,
    meanings={
        400: "Unknown, used or expired token, or a field that breaks its rule.",
        403: CROSS_SITE,
    },
)


class RecoveryController(Controller):
    """Password recovery and email verification, with tokens sent by mail."""

    path = "/api/auth"
    tags = ["recovery"]

    @post(
        "/password/forgot",
        status_code=HTTP_202_ACCEPTED,
        responses=refusals(
            400,
            403,
            413,
            415,
            429,
            503,
            meanings={
                400: "A malformed address.",
                403: CROSS_SITE,
                429: "Too many reset requests for this address, or from this client; "
                "`Retry-After` says when to try again.",
            },
        ),
    )
    async def forgot_password(
        self,
        data: JSONBody[ForgotPasswordBody],
        forgot: FromDishka[RequestPasswordReset],
    ) -> MessageBody:
        """Mails a reset link if the address is registered. The answer is the same, and takes
        the same time, either way."""
        await forgot.execute(RequestPasswordResetRequest(data.email))
        return MessageBody("If that address is registered, a reset link has been sent.")

    @post(
        "/password/reset",
        status_code=HTTP_200_OK,
        responses=_WITH_TOKEN,
    )
    async def reset_password(
        self,
        data: JSONBody[ResetPasswordBody],
        reset: FromDishka[ResetPassword],
    ) -> MessageBody:
        """Sets a new password with a mailed token; every session of the user ends."""
        await reset.execute(ResetPasswordRequest(data.token, data.password))
        return MessageBody("Password has been reset.")

    @post(
        "/email/verify",
        status_code=HTTP_200_OK,
        responses=_WITH_TOKEN,
    )
    async def verify_email(
        self,
        data: JSONBody[VerifyEmailBody],
        verify: FromDishka[VerifyEmail],
    ) -> MessageBody:
        """Marks the address verified with the token mailed to it."""
        await verify.execute(VerifyEmailRequest(data.token))
        return MessageBody("Email verified.")

    @post(
        "/email/resend",
        status_code=HTTP_202_ACCEPTED,
        security=ACCESS_TOKEN,
        responses=refusals(
            401,
            403,
            429,
            503,
            meanings={
                401: "A bad or expired access token.",
                403: or_cross_site("No access token."),
                429: "Too many resends for this user; `Retry-After` says when to try again.",
            },
        ),
    )
    async def resend_verification(
        self,
        resend: FromDishka[ResendVerification],
    ) -> MessageBody:
        """A new verification mail for the signed-in caller, unless already verified."""
        await resend.execute()
        return MessageBody("If the address is not verified yet, a verification link has been sent.")
