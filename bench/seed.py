"""The accounts and tokens the scenarios use, made through the service itself, so that every
password is hashed at the bcrypt cost of the server that will verify it."""

import json
from dataclasses import dataclass
from pathlib import Path

from bench.api import PASSWORD, Api, signin_body
from bench.server import RunningServer

ADMIN = "bench_admin"
MODERATOR = "bench_mod"
READER = "bench_user"
_ADMIN_PASSWORD_VARIABLE = "AUTHGATE_ADMIN_PASSWORD"  # noqa: S105 - a name, not a secret


@dataclass(frozen=True, slots=True)
class RoleTokens:
    user: str
    moderator: str
    admin: str


def seed_roles(server: RunningServer) -> RoleTokens:
    """An administrator (only the CLI makes one), a moderator (only an administrator may) and a
    plain user, each signed in and checked on its own endpoint."""
    api = server.api
    server.run_cli(
        "create-admin",
        "--username",
        ADMIN,
        "--email",
        f"{ADMIN}@bench.example.com",
        extra_env={_ADMIN_PASSWORD_VARIABLE: PASSWORD},
    )
    admin = api.signin(ADMIN).access_token
    api.signup(MODERATOR, roles=["moderator"], admin_token=admin)
    api.signup(READER)
    tokens = RoleTokens(
        user=api.signin(READER).access_token,
        moderator=api.signin(MODERATOR).access_token,
        admin=admin,
    )
    # A broken seed would otherwise show up only as a wall of 403s in the load results.
    api.expect_ok("/api/test/user", tokens.user)
    api.expect_ok("/api/test/mod", tokens.moderator)
    api.expect_ok("/api/test/admin", tokens.admin)
    return tokens


def reader_token(api: Api) -> str:
    token = api.signin(READER).access_token
    api.expect_ok("/api/test/user", token)
    return token


def signin_users(api: Api, prefix: str, count: int, path: Path) -> Path:
    """Signs up `count` users and writes their signin bodies to `path`, one JSON object a line."""
    usernames = [f"{prefix}{index}" for index in range(count)]
    for username in usernames:
        api.signup(username)
    path.write_text("".join(json.dumps(signin_body(name)) + "\n" for name in usernames))
    return path


def refresh_tokens(api: Api, username: str, count: int, path: Path) -> Path:
    """Starts `count` sessions of `username` and writes their refresh tokens to `path`, one a
    line: each is presented once, by one connection of the refresh scenario."""
    tokens = [api.signin(username).refresh_token for _ in range(count)]
    path.write_text("".join(token + "\n" for token in tokens))
    return path
