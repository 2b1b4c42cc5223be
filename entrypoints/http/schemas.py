"""Request and response bodies, in the field names and order the existing clients use."""

from datetime import datetime
from typing import Any

import msgspec


class SignupBody(msgspec.Struct):
    username: str
    email: str
    password: str
    roles: list[str] | None = None


class SigninBody(msgspec.Struct):
    username: str
    password: str


class RefreshBody(msgspec.Struct):
    refreshToken: str | None = None  # noqa: N815 - the clients' spelling


class SignoutBody(msgspec.Struct):
    refreshToken: str | None = None  # noqa: N815 - the clients' spelling


class ForgotPasswordBody(msgspec.Struct):
    email: str


class ResetPasswordBody(msgspec.Struct):
    token: str
    password: str


class VerifyEmailBody(msgspec.Struct):
    token: str


class MessageBody(msgspec.Struct):
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


class ChangePasswordBody(msgspec.Struct, rename="camel"):
    current_password: str
    new_password: str


class PasswordBody(msgspec.Struct):
    password: str


class RolesBody(msgspec.Struct):
    roles: list[str]


class OwnAccountAnswer(msgspec.Struct, rename="camel"):
    id: int
    username: str
    email: str
    roles: list[str]
    """`ROLE_*`, as in the signin answer."""
    email_verified: bool
    created_at: datetime | None


class UserAnswer(msgspec.Struct, rename="camel"):
    id: int
    username: str
    email: str
    roles: list[str]
    disabled: bool
    email_verified: bool
    created_at: datetime | None
    last_signin_at: datetime | None


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
