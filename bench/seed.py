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
DISTINCT_USERS = 32
"""How many users' tokens a protected read scenario spreads its requests over
(bench/lua/tokens.lua): more than its connections, so that the requests in flight at one moment
carry different sessions."""
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


def access_tokens(
    api: Api,
    prefix: str,
    path: Path,
    *,
    role: str = "user",
    admin_token: str | None = None,
    check: str | None = None,
) -> Path:
    """Signs up DISTINCT_USERS users of `role` (Authgate gives a role other than user only when
    an administrator signs the user up: `admin_token`; the original takes it from the body), signs
    each in, and writes their access tokens to `path`, one a line. `check`: a path every token
    must be answered 200 on, so that a broken seed does not show up as a wall of 403s."""
    usernames = [f"{prefix}{index}" for index in range(DISTINCT_USERS)]
    for username in usernames:
        api.signup(username, roles=[] if role == "user" else [role], admin_token=admin_token)
    tokens = [api.access_token(username) for username in usernames]
    if check is not None:
        for token in tokens:
            api.expect_ok(check, token)
    path.write_text("".join(token + "\n" for token in tokens))
    return path


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
