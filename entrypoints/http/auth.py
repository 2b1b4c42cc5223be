from typing import Annotated, Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, Response, post
from litestar.params import Body, JSONBody
from litestar.status_codes import HTTP_200_OK

from application.accounts.register_user import RegisterUser, RegisterUserRequest
from application.mfa.sign_in_with_second_factor import (
    SignInWithSecondFactor,
    SignInWithSecondFactorRequest,
)
from application.sessions.authenticate_user import (
    AuthenticateUser,
    AuthenticateUserRequest,
    SecondFactorRequired,
)
from application.sessions.refresh_session import RefreshSession, RefreshSessionRequest
from application.sessions.sign_out import SignOut, SignOutRequest
from application.shared.second_factor_checks import SecondFactorCode
from entrypoints.http.openapi import (
    CROSS_SITE,
    OPTIONAL_ACCESS_TOKEN,
    OptionalBodyOperation,
    or_cross_site,
    refusals,
)
from entrypoints.http.schemas import (
    MessageBody,
    RefreshAnswer,
    RefreshBody,
    SecondFactorRequiredAnswer,
    SecondFactorSigninBody,
    SigninAnswer,
    SigninBody,
    SigninRefusal,
    SignoutBody,
    SignupBody,
)
from entrypoints.http.tokens import access_cookie, signin_response
from entrypoints.settings import EdgeSettings

AnyRequest = Request[Any, Any, Any]
_OPTIONAL_BODY = Body(description="May be empty.")


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]
    # Answers here carry tokens or end a session: entrypoints/http/headers.py says no-store.

    @post(
        "/signup",
        status_code=HTTP_200_OK,
        security=OPTIONAL_ACCESS_TOKEN,
        responses=refusals(
            400,
            403,
            413,
            415,
            429,
            503,
            meanings={
                400: "A missing or invalid field (the message names it), a username or email "
                "already in use, or an unknown role.",
                403: or_cross_site(
                    "moderator or admin asked for without an administrator's token."
                ),
            },
        ),
    )
    async def signup(
        self,
        data: JSONBody[SignupBody],
        register: FromDishka[RegisterUser],
    ) -> MessageBody:
        """Creates an account. Asking for moderator or admin needs an administrator's token."""
        await register.execute(
            RegisterUserRequest(
                username=data.username,
                email=data.email,
                password=data.password,
                roles=data.roles,
            )
        )
        return MessageBody("User registered successfully!")

    @post(
        "/signin",
        status_code=HTTP_200_OK,
        responses=refusals(
            400,
            401,
            403,
            413,
            415,
            429,
            503,
            bodies={401: SigninRefusal},
            meanings={
                401: "Unknown user or wrong password: the same answer for both.",
                403: or_cross_site(
                    "The right password for a disabled account, or for an unverified address "
                    "where signin requires a verified one."
                ),
            },
        ),
    )
    async def signin(
        self,
        data: JSONBody[SigninBody],
        authenticate: FromDishka[AuthenticateUser],
        edge: FromDishka[EdgeSettings],
    ) -> Response[SigninAnswer | SecondFactorRequiredAnswer]:
        """Checks the password and starts a session; also sets the access token as a cookie.
        For an account with a second factor, answers an mfaToken instead, and no token or
        cookie: the signin goes on at POST /api/auth/signin/mfa."""
        try:
            result = await authenticate.execute(
                AuthenticateUserRequest(data.username, data.password)
            )
        except SecondFactorRequired as step:
            return Response(
                SecondFactorRequiredAnswer(
                    mfa_required=True,
                    mfa_token=step.mfa_token,
                    methods=[method.value for method in step.methods],
                    message="Two-factor code required.",
                )
            )
        answer = signin_response(result, edge)
        return Response(answer.content, cookies=answer.cookies)

    @post(
        "/signin/mfa",
        status_code=HTTP_200_OK,
        responses=refusals(
            400,
            401,
            403,
            413,
            415,
            429,
            503,
            meanings={
                401: "`Invalid code.` (wrong, or already used: each code works once), or `Sign "
                "in again.` (the mfaToken is unknown, used, or older than 5 minutes).",
                403: or_cross_site("The account was disabled since the password step."),
                429: "Too many failed signins of the account; `Retry-After` says when to try "
                "again.",
            },
        ),
    )
    async def signin_second_factor(
        self,
        data: JSONBody[SecondFactorSigninBody],
        sign_in: FromDishka[SignInWithSecondFactor],
        edge: FromDishka[EdgeSettings],
    ) -> Response[SigninAnswer]:
        """The second step of a signin: the mfaToken and a TOTP code (`code`) or a recovery
        code (`recoveryCode`). A wrong code counts as a failed signin of the account."""
        result = await sign_in.execute(
            SignInWithSecondFactorRequest(
                mfa_token=data.mfa_token,
                code=SecondFactorCode(totp=data.code, recovery_code=data.recovery_code),
            )
        )
        return signin_response(result, edge)

    @post(
        "/refreshtoken",
        status_code=HTTP_200_OK,
        operation_class=OptionalBodyOperation,
        responses=refusals(
            400,
            403,
            413,
            415,
            429,
            503,
            meanings={
                403: or_cross_site(
                    "The refresh token is missing, unknown, expired, or was already used (then "
                    "its whole session is revoked)."
                )
            },
        ),
    )
    async def refresh_token(
        self,
        refresh: FromDishka[RefreshSession],
        data: Annotated[RefreshBody | None, _OPTIONAL_BODY] = None,
    ) -> RefreshAnswer:
        """Trades a refresh token for a new access token and a new refresh token; the one sent
        stops working."""
        result = await refresh.execute(RefreshSessionRequest(data.refreshToken if data else None))
        return RefreshAnswer(
            accessToken=result.access_token.value,
            refreshToken=result.refresh_token.value,
            tokenType="Bearer",
            expiresIn=result.access_token.expires_in,
        )

    @post(
        "/signout",
        status_code=HTTP_200_OK,
        security=OPTIONAL_ACCESS_TOKEN,
        operation_class=OptionalBodyOperation,
        responses=refusals(400, 403, 413, 415, 503, meanings={403: CROSS_SITE}),
    )
    async def signout(
        self,
        sign_out: FromDishka[SignOut],
        edge: FromDishka[EdgeSettings],
        data: Annotated[SignoutBody | None, _OPTIONAL_BODY] = None,
    ) -> Response[MessageBody]:
        """Ends the session of the presented token, if any, and clears the cookie."""
        await sign_out.execute(
            SignOutRequest(
                refresh_token=data.refreshToken if data else None,
            )
        )
        return Response(
            MessageBody("You've been signed out!"),
            cookies=[access_cookie("", 0, edge)],
        )
