"""Request and response bodies, in the field names and order the existing clients use.

The field rules in the OpenAPI document are the domain's own (domain/values.py), documented
here but enforced there, so that a refusal keeps the domain's message, which names the field."""

from datetime import datetime
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


def documented(description: str, **rules: Any) -> msgspec.Meta:
    """Rules for the OpenAPI document only (JSON Schema keywords), not for decoding."""
    return msgspec.Meta(extra_json_schema={"description": description, "extra": rules})


NewUsername = Annotated[
    str,
    documented(
        "3 to 20 letters, digits, '.', '_' or '-'; unique ignoring case.",
        pattern=f"^{USERNAME_FORMAT.pattern}$",
        minLength=3,
        maxLength=20,
    ),
]
_EMAIL = f"A valid address (the rule of HTML's email input), at most {EMAIL_MAX_LENGTH} characters"
_EMAIL_RULES = {"pattern": f"^{EMAIL_FORMAT.pattern}$", "maxLength": EMAIL_MAX_LENGTH}
NewEmail = Annotated[str, documented(f"{_EMAIL}; unique ignoring case.", **_EMAIL_RULES)]
AnyEmail = Annotated[str, documented(f"{_EMAIL}.", **_EMAIL_RULES)]
NewPassword = Annotated[
    str,
    documented(
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
    documented(
        "Absent, null or empty: user. moderator and admin only with an administrator's token.",
        oneOf=[_ROLE_NAMES, Schema(type=OpenAPIType.NULL)],
    ),
]
AssignedRoles = Annotated[
    list[str],
    documented(
        "Every role the user is to hold, at least one.",
        items=_ROLE_NAMES.items,
        minItems=1,
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


class ForgotPasswordBody(msgspec.Struct):
    email: AnyEmail


class ResetPasswordBody(msgspec.Struct):
    token: str
    password: NewPassword


class VerifyEmailBody(msgspec.Struct):
    token: str


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


SecondFactorCode = Annotated[
    str | None,
    documented(
        "A code of the caller's second factor (six TOTP digits, or a recovery code): required "
        "when they have one."
    ),
]


class ChangePasswordBody(msgspec.Struct, rename="camel"):
    current_password: str
    new_password: NewPassword
    code: SecondFactorCode = None


class PasswordBody(msgspec.Struct):
    password: str
    code: SecondFactorCode = None


class EnrolmentBody(msgspec.Struct):
    password: str


class CodeBody(msgspec.Struct):
    code: Annotated[str, documented("Six digits from the authenticator app.")]


class SecondFactorSigninBody(msgspec.Struct, rename="camel"):
    mfa_token: Annotated[str, documented("From the password step's answer.")]
    code: Annotated[str | None, documented("Six TOTP digits; or send recoveryCode.")] = None
    recovery_code: Annotated[
        str | None, documented("A recovery code; case, dashes and spaces are ignored.")
    ] = None


class SecondFactorRequiredAnswer(msgspec.Struct, rename="camel"):
    """The right password for an account with a second factor: no tokens, no cookie yet."""

    mfa_required: bool
    mfa_token: str
    """For POST /api/auth/signin/mfa: single use, 5 minutes."""
    methods: list[str]
    message: str


class TotpEnrolmentAnswer(msgspec.Struct, rename="camel"):
    secret: str
    """Base32, 160 bits: for typing into an authenticator by hand."""
    otpauth_uri: str
    qr_svg: str
    """The otpauth URI as a QR code, an SVG document."""


class RecoveryCodesAnswer(msgspec.Struct, rename="camel"):
    recovery_codes: list[str]
    """Shown this once; each works once."""


class RolesBody(msgspec.Struct):
    roles: AssignedRoles


class SecondFactorStatus(msgspec.Struct, rename="camel"):
    totp: bool
    recovery_codes_left: int


class OwnAccountAnswer(msgspec.Struct, rename="camel"):
    id: int
    username: str
    email: str
    roles: list[str]
    """`ROLE_*`, as in the signin answer."""
    email_verified: bool
    created_at: datetime | None
    mfa: SecondFactorStatus
    passkeys: int
    """How many passkeys the user has registered."""


class UserAnswer(msgspec.Struct, rename="camel"):
    id: int
    username: str
    email: str
    roles: list[str]
    disabled: bool
    email_verified: bool
    created_at: datetime | None
    last_signin_at: datetime | None
    mfa: bool
    """Whether a second factor guards the account."""


class UsersPageAnswer(msgspec.Struct, rename="camel"):
    items: list[UserAnswer]
    next_cursor: str | None
    """Pass it as `cursor` for the next page; null on the last."""


class SessionAnswer(msgspec.Struct, rename="camel"):
    id: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    """At signin, then at each refresh; not on every request."""
    user_agent: str
    ip: str
    current: bool
    """The session of the token that asked."""


class AuditEventAnswer(msgspec.Struct, rename="camel"):
    id: int
    at: datetime
    type: str
    user_id: int | None
    actor_id: int | None
    ip: str
    user_agent: str
    detail: dict[str, Any]


class AuditPageAnswer(msgspec.Struct, rename="camel"):
    items: list[AuditEventAnswer]
    next_cursor: str | None


class StatusBody(msgspec.Struct):
    status: str
