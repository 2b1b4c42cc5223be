"""`authgate users ...` and `authgate audit`: the administration endpoints for operators without
HTTP access, through the same use cases and container. The operator acts as nobody in the audit
trail (actor null): access to the machine is the authority."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

import msgspec
from dishka import AsyncContainer

from application.admin.delete_user import DeleteUser
from application.admin.disable_user import DisableUser
from application.admin.enable_user import EnableUser
from application.admin.end_user_sessions import EndUserSessions
from application.admin.get_user import GetUser
from application.admin.list_users import ListUsers, ListUsersRequest
from application.admin.read_audit_trail import ReadAuditTrail, ReadAuditTrailRequest
from application.admin.set_user_roles import SetUserRoles, SetUserRolesRequest
from application.common.errors import ApplicationError, UserNotFound
from application.common.pages import Page
from application.ports.user_listing import UserSummary
from domain.audit import AuditEvent
from domain.errors import DomainError
from domain.user import User
from entrypoints.http.admin import audit_event_answer, user_answer
from entrypoints.http.schemas import AuditPageAnswer, UsersPageAnswer
from entrypoints.settings import Settings

Command = Callable[[AsyncContainer, argparse.Namespace], Awaitable[str]]
USER_COLUMNS = (
    "id",
    "username",
    "email",
    "roles",
    "disabled",
    "verified",
    "created",
    "last signin",
)
AUDIT_COLUMNS = ("id", "at", "type", "user", "actor", "ip", "user agent", "detail")


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    users = commands.add_parser("users", help="list, show and administer accounts")
    actions = users.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="accounts by id, a page at a time")
    listing.add_argument("--query", help="start of a username or email, any case")
    listing.add_argument("--role", choices=["user", "moderator", "admin"])
    listing.add_argument("--disabled", choices=["true", "false"])
    _paging(listing)
    for name, text in (
        ("show", "one account"),
        ("disable", "end every session and refuse signin"),
        ("enable", "allow signin again"),
        ("delete", "delete the account and its sessions"),
        ("end-sessions", "end every session of the account"),
    ):
        _with_id(actions.add_parser(name, help=text))
    roles = _with_id(actions.add_parser("set-roles", help="replace the account's roles"))
    roles.add_argument("roles", nargs="+", metavar="ROLE", help="user, moderator or admin")
    audit = commands.add_parser("audit", help="the audit trail, newest first")
    audit.add_argument("--user-id", type=int, help="events about this account")
    audit.add_argument("--type", help="one event type, e.g. user.disable")
    _paging(audit)


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, help="1 to 200, default 50")
    parser.add_argument("--cursor", help="the next-page cursor a previous listing printed")
    parser.add_argument("--json", action="store_true", help="print JSON, as the HTTP API answers")


def _with_id(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("user_id", type=int, metavar="ID")
    parser.add_argument("--json", action="store_true", help="print JSON, as the HTTP API answers")
    return parser


def run(
    settings: Settings,
    args: argparse.Namespace,
    in_request: Callable[
        [Settings, Callable[[AsyncContainer], Awaitable[str]]], Coroutine[Any, Any, str]
    ],
) -> int:
    command = _AUDIT if args.command == "audit" else _USER_ACTIONS[args.action]
    try:
        printed: str = asyncio.run(in_request(settings, lambda container: command(container, args)))
    except (DomainError, ApplicationError) as error:
        print(f"authgate: {_refusal(error)}", file=sys.stderr)
        return 1
    print(printed)
    return 0


def _refusal(error: Exception) -> str:
    if isinstance(error, UserNotFound):
        return "user not found"
    return str(error) or type(error).__name__


async def _list(container: AsyncContainer, args: argparse.Namespace) -> str:
    disabled = None if args.disabled is None else args.disabled == "true"
    request = ListUsersRequest(args.query, args.role, disabled, args.limit, args.cursor)
    page = await (await container.get(ListUsers)).execute(request)
    if args.json:
        answer = UsersPageAnswer([user_answer(u) for u in page.items], page.next_cursor)
        return msgspec.json.encode(answer).decode()
    return _with_cursor(table(USER_COLUMNS, [_user_row(u) for u in page.items]), page)


async def _show(container: AsyncContainer, args: argparse.Namespace) -> str:
    return _user(await (await container.get(GetUser)).execute(args.user_id), args)


async def _set_roles(container: AsyncContainer, args: argparse.Namespace) -> str:
    request = SetUserRolesRequest(args.user_id, args.roles)
    return _user(await (await container.get(SetUserRoles)).execute(request), args)


async def _disable(container: AsyncContainer, args: argparse.Namespace) -> str:
    return _user(await (await container.get(DisableUser)).execute(args.user_id), args)


async def _enable(container: AsyncContainer, args: argparse.Namespace) -> str:
    return _user(await (await container.get(EnableUser)).execute(args.user_id), args)


async def _delete(container: AsyncContainer, args: argparse.Namespace) -> str:
    await (await container.get(DeleteUser)).execute(args.user_id)
    return _message("User deleted.", args)


async def _end_sessions(container: AsyncContainer, args: argparse.Namespace) -> str:
    ended = await (await container.get(EndUserSessions)).execute(args.user_id)
    return _message(f"Sessions ended ({ended}).", args)


async def _audit(container: AsyncContainer, args: argparse.Namespace) -> str:
    request = ReadAuditTrailRequest(args.user_id, args.type, args.limit, args.cursor)
    page = await (await container.get(ReadAuditTrail)).execute(request)
    if args.json:
        answer = AuditPageAnswer([audit_event_answer(e) for e in page.items], page.next_cursor)
        return msgspec.json.encode(answer).decode()
    return _with_cursor(table(AUDIT_COLUMNS, [_event_row(e) for e in page.items]), page)


_USER_ACTIONS: dict[str, Command] = {
    "list": _list,
    "show": _show,
    "set-roles": _set_roles,
    "disable": _disable,
    "enable": _enable,
    "delete": _delete,
    "end-sessions": _end_sessions,
}
_AUDIT: Command = _audit


def _user(user: User, args: argparse.Namespace) -> str:
    if args.json:
        return msgspec.json.encode(user_answer(user)).decode()
    return table(USER_COLUMNS, [_user_row(user)])


def _message(text: str, args: argparse.Namespace) -> str:
    return msgspec.json.encode({"message": text}).decode() if args.json else text


def _with_cursor(text: str, page: "Page[Any]") -> str:
    if page.next_cursor is None:
        return text
    return f"{text}\nmore: --cursor {page.next_cursor}"


def _user_row(user: User | UserSummary) -> list[str]:
    return [
        str(user.id),
        user.username.value,
        user.email.value,
        ",".join(role.role_name for role in user.ordered_roles),
        "yes" if user.disabled else "no",
        "yes" if user.email_verified else "no",
        _time(user.created_at),
        _time(user.last_signin_at),
    ]


def _event_row(event: AuditEvent) -> list[str]:
    detail = " ".join(f"{key}={_detail(value)}" for key, value in sorted(event.detail.items()))
    return [
        str(event.id),
        _time(event.at),
        event.type.value,
        "-" if event.user_id is None else str(event.user_id),
        "-" if event.actor_id is None else str(event.actor_id),
        event.ip,
        event.user_agent[:30] or "-",
        detail or "-",
    ]


def _detail(value: object) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns under upper-case headings, as `ps` or `docker ps` print them."""
    if not rows:
        return "(none)"
    headings = [column.upper() for column in columns]
    widths = [max(len(cell) for cell in column) for column in zip(headings, *rows, strict=True)]
    lines = [headings, *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
