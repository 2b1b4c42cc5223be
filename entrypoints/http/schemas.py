"""Request and response bodies, in the field names and order the existing clients use."""

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


class StatusBody(msgspec.Struct):
    status: str
