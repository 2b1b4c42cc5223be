from typing import Annotated, Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, Response, post
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.params import Body, JSONBody
from litestar.status_codes import HTTP_200_OK

from application.accounts.register_user import RegisterUser, RegisterUserRequest
from application.sessions.authenticate_user import AuthenticateUser, AuthenticateUserRequest
from application.sessions.refresh_session import RefreshSession, RefreshSessionRequest
from application.sessions.sign_out import SignOut, SignOutRequest
from entrypoints.http.client import client_of
from entrypoints.http.openapi import OPTIONAL_ACCESS_TOKEN, OptionalBodyOperation, refusals
from entrypoints.http.schemas import (
    MessageBody,
    RefreshAnswer,
    RefreshBody,
    SigninAnswer,
    SigninBody,
    SigninRefusal,
    SignoutBody,
    SignupBody,
)
from entrypoints.http.tokens import ACCESS_TOKEN_COOKIE, COOKIE_PATH, presented_access_token
from entrypoints.logs import note_user
from entrypoints.settings import Settings

AnyRequest = Request[Any, Any, Any]
_OPTIONAL_BODY = Body(description="May be empty.")


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]
    # Answers here carry tokens or end a session: no cache or proxy may keep a copy.
    cache_control = CacheControlHeader(no_store=True)

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
                403: "moderator or admin asked for without an administrator's token.",
            },
        ),
    )
    async def signup(
        self,
        request: AnyRequest,
        data: JSONBody[SignupBody],
        register: FromDishka[RegisterUser],
        settings: FromDishka[Settings],
    ) -> MessageBody:
        """Creates an account. Asking for moderator or admin needs an administrator's token."""
        await register.execute(
            RegisterUserRequest(
                username=data.username,
                email=data.email,
                password=data.password,
                roles=data.roles,
                access_token=presented_access_token(request),
                client=client_of(request, settings.edge.trusted_proxy_networks),
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
                403: "The right password for a disabled account, or for an unverified address "
                "where signin requires a verified one.",
            },
        ),
    )
    async def signin(
        self,
        request: AnyRequest,
        data: JSONBody[SigninBody],
        authenticate: FromDishka[AuthenticateUser],
        settings: FromDishka[Settings],
    ) -> Response[SigninAnswer]:
        """Checks the password and starts a session; also sets the access token as a cookie."""
        client = client_of(request, settings.edge.trusted_proxy_networks)
        result = await authenticate.execute(
            AuthenticateUserRequest(data.username, data.password, client)
        )
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
        return Response(answer, cookies=[_access_cookie(access.value, access.expires_in, settings)])

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
                403: "The refresh token is missing, unknown, expired, or was already used (then "
                "its whole session is revoked)."
            },
        ),
    )
    async def refresh_token(
        self,
        request: AnyRequest,
        refresh: FromDishka[RefreshSession],
        settings: FromDishka[Settings],
        data: Annotated[RefreshBody | None, _OPTIONAL_BODY] = None,
    ) -> RefreshAnswer:
        """Trades a refresh token for a new access token and a new refresh token; the one sent
        stops working."""
        client = client_of(request, settings.edge.trusted_proxy_networks)
        result = await refresh.execute(
            RefreshSessionRequest(data.refreshToken if data else None, client)
        )
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
        responses=refusals(400, 413, 415, 503),
    )
    async def signout(
        self,
        request: AnyRequest,
        sign_out: FromDishka[SignOut],
        settings: FromDishka[Settings],
        data: Annotated[SignoutBody | None, _OPTIONAL_BODY] = None,
    ) -> Response[MessageBody]:
        """Ends the session of the presented token, if any, and clears the cookie."""
        await sign_out.execute(
            SignOutRequest(
                access_token=presented_access_token(request),
                refresh_token=data.refreshToken if data else None,
                client=client_of(request, settings.edge.trusted_proxy_networks),
            )
        )
        return Response(
            MessageBody("You've been signed out!"),
            cookies=[_access_cookie("", 0, settings)],
        )


def _access_cookie(value: str, max_age: int, settings: Settings) -> Cookie:
    return Cookie(
        key=ACCESS_TOKEN_COOKIE,
        value=value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.edge.cookie_secure,
    )
