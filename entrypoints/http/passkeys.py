"""Passkeys: registration, listing and removal for the signed-in caller, and signin with one."""

from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Response, delete, get, post
from litestar.params import Body, FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from application.passkeys.begin_registration import BeginPasskeyRegistration
from application.passkeys.begin_signin import BeginPasskeySignin, BeginPasskeySigninRequest
from application.passkeys.list_own_passkeys import ListOwnPasskeys
from application.passkeys.register_passkey import RegisterPasskey, RegisterPasskeyRequest
from application.passkeys.remove_passkey import RemovePasskey, RemovePasskeyRequest
from application.passkeys.sign_in_with_passkey import SignInWithPasskey, SignInWithPasskeyRequest
from domain.passkey import Passkey
from entrypoints.http.openapi import (
    ACCESS_TOKEN,
    CROSS_SITE,
    OptionalBodyOperation,
    PathParameterOperation,
    or_cross_site,
    refusals,
)
from entrypoints.http.passkey_schemas import (
    PasskeyAnswer,
    PasskeyCreationOptions,
    PasskeyRegistrationBody,
    PasskeyRequestOptions,
    PasskeySigninBody,
    PasskeySigninOptionsBody,
)
from entrypoints.http.schemas import MessageBody, SigninAnswer
from entrypoints.http.tokens import signin_response
from entrypoints.settings import EdgeSettings

_SIGNED_IN = (401, 403, 503)
_MEANINGS = {
    400: "A missing or invalid field, or a credential that does not verify against a live "
    "registration challenge of the caller's: `Passkey registration failed.`",
    403: or_cross_site("No token was sent."),
    404: "No passkey of the caller has this id.",
}
_OPTIONAL_BODY = Body(description="May be empty: a username-less signin.")


class PasskeyController(Controller):
    path = "/api/user/passkeys"
    tags = ["passkeys"]
    security = ACCESS_TOKEN

    @post(
        "/options",
        status_code=HTTP_200_OK,
        responses=refusals(*_SIGNED_IN, meanings=_MEANINGS),
    )
    async def registration_options(
        self, begin: FromDishka[BeginPasskeyRegistration]
    ) -> PasskeyCreationOptions:
        """The options of `navigator.credentials.create` for a new passkey of the caller."""
        return msgspec.convert(await begin.execute(), PasskeyCreationOptions)

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=refusals(*_SIGNED_IN, 400, 413, 415, meanings=_MEANINGS),
    )
    async def register(
        self, data: JSONBody[PasskeyRegistrationBody], register: FromDishka[RegisterPasskey]
    ) -> PasskeyAnswer:
        """Stores the credential `navigator.credentials.create` returned for those options."""
        passkey = await register.execute(RegisterPasskeyRequest(data.credential, data.name))
        return _answer(passkey)

    @get("", responses=refusals(*_SIGNED_IN, meanings=_MEANINGS))
    async def list_passkeys(self, list_own: FromDishka[ListOwnPasskeys]) -> list[PasskeyAnswer]:
        """The caller's passkeys, oldest first."""
        return [_answer(passkey) for passkey in await list_own.execute()]

    @delete(
        "/{passkey_id:int}",
        status_code=HTTP_200_OK,
        responses=refusals(*_SIGNED_IN, 404, meanings=_MEANINGS),
        operation_class=PathParameterOperation,
    )
    async def remove(
        self, passkey_id: FromPath[int], remove: FromDishka[RemovePasskey]
    ) -> MessageBody:
        await remove.execute(RemovePasskeyRequest(passkey_id))
        return MessageBody("Passkey removed.")


class PasskeySigninController(Controller):
    path = "/api/auth/passkey"
    tags = ["auth", "passkeys"]

    @post(
        "/options",
        status_code=HTTP_200_OK,
        operation_class=OptionalBodyOperation,
        responses=refusals(400, 403, 413, 415, 429, 503, meanings={403: CROSS_SITE}),
    )
    async def signin_options(
        self,
        begin: FromDishka[BeginPasskeySignin],
        data: Annotated[PasskeySigninOptionsBody | None, _OPTIONAL_BODY] = None,
    ) -> PasskeyRequestOptions:
        """The options of `navigator.credentials.get`; the same whether or not a username names
        an account."""
        username = data.username if data else None
        options = await begin.execute(BeginPasskeySigninRequest(username))
        return msgspec.convert(options, PasskeyRequestOptions)

    @post(
        "",
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
                401: "`Passkey sign-in failed.`: an unknown credential, a used or expired "
                "challenge, another origin or relying party, a bad signature, or a signature "
                "counter gone backwards.",
                403: or_cross_site(
                    "A passkey of a disabled account, or of an unverified address where signin "
                    "requires a verified one."
                ),
            },
        ),
    )
    async def signin(
        self,
        data: JSONBody[PasskeySigninBody],
        sign_in: FromDishka[SignInWithPasskey],
        edge: FromDishka[EdgeSettings],
    ) -> Response[SigninAnswer]:
        """Checks the credential `navigator.credentials.get` returned and starts a session: the
        same answer and cookie as a password signin."""
        result = await sign_in.execute(SignInWithPasskeyRequest(data.credential))
        return signin_response(result, edge)


def _answer(passkey: Passkey) -> PasskeyAnswer:
    return PasskeyAnswer(
        id=passkey.id,
        name=passkey.name,
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
    )
