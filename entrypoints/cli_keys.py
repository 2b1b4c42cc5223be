"""`authgate keys list | rotate | revoke KID`: the signing keys, for operators. Every server on
the database sees a change at once: a new key is published with the next key-set request and
signs after JWKS_MAX_AGE; a revoked key's tokens are refused with the next request."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from dishka import AsyncContainer

from application.common.errors import ApplicationError, KeysNotUsed
from application.keys.list_signing_keys import ListedSigningKey, ListSigningKeys
from application.keys.revoke_signing_key import RevokeSigningKey
from application.keys.rotate_signing_key import RotateSigningKey
from domain.errors import DomainError
from domain.signing_keys import SigningKey
from entrypoints.cli_admin import table
from entrypoints.settings import Settings

KEY_COLUMNS = ("kid", "algorithm", "state", "created", "signs from", "retires at")
InRequest = Callable[
    [Settings, Callable[[AsyncContainer], Awaitable[str]]], Coroutine[Any, Any, str]
]


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = commands.add_parser("keys", help="list, rotate and revoke the token signing keys")
    actions = keys.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every key with its state now")
    actions.add_parser("rotate", help="add a next key: published now, signing after JWKS_MAX_AGE")
    # A kid is base64url and may begin with "-": the command takes no option, so nothing it is
    # given reads as one.
    revoke = actions.add_parser(
        "revoke",
        help="remove a key from the key set and refuse its tokens, at once",
        prefix_chars="+",
        add_help=False,
    )
    revoke.add_argument("kid", metavar="KID")


def run(settings: Settings, args: argparse.Namespace, in_request: InRequest) -> int:
    command = _ACTIONS[args.action]
    try:
        printed = asyncio.run(in_request(settings, lambda container: command(container, args)))
    except (DomainError, ApplicationError) as error:
        print(f"authgate: {_refusal(error)}", file=sys.stderr)
        return 1
    print(printed)
    return 0


def _refusal(error: Exception) -> str:
    if isinstance(error, KeysNotUsed):
        return "JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET, no keys are kept"
    return str(error) or type(error).__name__


async def _list(container: AsyncContainer, _: argparse.Namespace) -> str:
    return table(
        KEY_COLUMNS, [_row(k) for k in await (await container.get(ListSigningKeys)).execute()]
    )


async def _rotate(container: AsyncContainer, _: argparse.Namespace) -> str:
    key = await (await container.get(RotateSigningKey)).execute()
    return f"key {key.kid} added: published now, signing from {_time(key.signs_from)}"


async def _revoke(container: AsyncContainer, args: argparse.Namespace) -> str:
    changed = await (await container.get(RevokeSigningKey)).execute(args.kid)
    lines = [f"key {args.kid} revoked: its tokens are refused from now on"]
    lines += [_promoted(key) for key in changed if key.kid != args.kid and key.signs_until is None]
    return "\n".join(line for line in lines if line)


def _promoted(key: SigningKey) -> str:
    return f"key {key.kid} signs from {_time(key.signs_from)}"


_ACTIONS = {"list": _list, "rotate": _rotate, "revoke": _revoke}


def _row(listed: ListedSigningKey) -> list[str]:
    key = listed.key
    return [
        key.kid,
        key.algorithm,
        listed.state.value,
        _time(key.created_at),
        _time(key.signs_from),
        _time(listed.retires_at),
    ]


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")
