"""Request and response bodies, in the field names and order the existing clients use.

The field rules in the OpenAPI document are the domain's own (domain/values.py), documented
here but enforced there, so that a refusal keeps the domain's message, which names the field."""

from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema

from domain.roles import Role
from domain.values import (
    EMAIL_FORMAT,
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_BYTES,
    PASSWORD_MIN_CHARACTERS,
    USERNAME_FORMAT,
)


def _documented(description: str, **rules: Any) -> msgspec.Meta:
    """Rules for the OpenAPI document only (JSON Schema keywords), not for decoding."""
    return msgspec.Meta(extra_json_schema={"description": description, "extra": rules})


NewUsername = Annotated[
    str,
    _documented(
        "3 to 20 letters, digits, '.', '_' or '-'; unique ignoring case.",
        pattern=f"^{USERNAME_FORMAT.pattern}$",
        minLength=3,
        maxLength=20,
    ),
]
NewEmail = Annotated[
    str,
    _documented(
        f"A valid address (the rule of HTML's email input), at most {EMAIL_MAX_LENGTH} "
        "characters; unique ignoring case.",
        pattern=f"^{EMAIL_FORMAT.pattern}$",
        maxLength=EMAIL_MAX_LENGTH,
    ),
]
NewPassword = Annotated[
    str,
    _documented(
        f"At least {PASSWORD_MIN_CHARACTERS} characters and at most {PASSWORD_MAX_BYTES} bytes "
        "in UTF-8 (bcrypt's limit; a longer one is refused, never cut).",
        minLength=PASSWORD_MIN_CHARACTERS,
        maxLength=PASSWORD_MAX_BYTES,
    ),
]
# The items of a list are no struct field, so their rule goes on the list (a list of role
# names, or null) as a whole.
_ROLE_NAMES = Schema(
    type=OpenAPIType.ARRAY,
    items=Schema(type=OpenAPIType.STRING, enum=[role.role_name for role in Role]),
)
Roles = Annotated[
    list[str] | None,
    _documented(
        "Absent, null or empty: user. moderator and admin only with an administrator's token.",
        oneOf=[_ROLE_NAMES, Schema(type=OpenAPIType.NULL)],
    ),
]


class SignupBody(msgspec.Struct):
    username: NewUsername
    email: NewEmail
    password: NewPassword
    roles: Roles = None


class SigninBody(msgspec.Struct):
    username: str
    password: str


class RefreshBody(msgspec.Struct):
    refreshToken: str | None = None  # noqa: N815 - the clients' spelling


class SignoutBody(msgspec.Struct):
    refreshToken: str | None = None  # noqa: N815 - the clients' spelling


class MessageBody(msgspec.Struct):
    message: str


class SigninRefusal(msgspec.Struct):
    """compat: the clients look for `accessToken` and clear what they hold."""

    accessToken: None  # noqa: N815
    message: str


class SigninAnswer(msgspec.Struct):
    id: int
    username: str
    email: str
    roles: list[str]
    accessToken: str  # noqa: N815
    tokenType: str  # noqa: N815
    refreshToken: str  # noqa: N815
    expiresIn: int  # noqa: N815


class RefreshAnswer(msgspec.Struct):
    accessToken: str  # noqa: N815
    refreshToken: str  # noqa: N815
    tokenType: str  # noqa: N815
    expiresIn: int  # noqa: N815


class StatusBody(msgspec.Struct):
    status: str
