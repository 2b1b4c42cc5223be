"""`authgate serve | migrate | create-admin | purge-sessions` (or `python -m entrypoints ...`)."""

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from dishka import AsyncContainer, Scope
from granian.constants import Interfaces
from granian.server import Server
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade_to_head
from application.create_administrator import CreateAdministrator, CreateAdministratorRequest
from application.purge_sessions import PurgeSessions
from domain.errors import DomainError
from entrypoints.container import build_container
from entrypoints.settings import Settings, SettingsError

ADMIN_PASSWORD_VARIABLE = "AUTHGATE_ADMIN_PASSWORD"  # noqa: S105 - a name, not a secret
_T = TypeVar("_T")

logger = logging.getLogger("authgate")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="authgate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the database, then serve HTTP")
    serve.add_argument("--host", help="overrides HOST")
    serve.add_argument("--port", type=int, help="overrides PORT")
    serve.add_argument("--workers", type=int, help="overrides WORKERS")
    commands.add_parser("migrate", help="bring the database schema up to date")
    admin = commands.add_parser(
        "create-admin",
        help=f"create an administrator; the password comes from ${ADMIN_PASSWORD_VARIABLE} "
        "or a prompt, never from the command line",
    )
    admin.add_argument("--username", required=True)
    admin.add_argument("--email", required=True)
    commands.add_parser("purge-sessions", help="delete ended sessions and expired refresh tokens")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for option in ("host", "port", "workers"):
        if getattr(args, option, None) is not None:
            os.environ[option.upper()] = str(getattr(args, option))
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"authgate: {error}", file=sys.stderr)
        return 2

    if args.command == "serve":
        return serve_http(settings)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
        print("database is up to date")
        return 0
    if args.command == "create-admin":
        return create_admin(settings, args.username, args.email)
    purged = asyncio.run(_in_request(settings, _purge))
    print(f"purged {purged} ended sessions")
    return 0


async def migrate(settings: Settings) -> None:
    if settings.uses_memory_storage:
        return
    engine: AsyncEngine = create_engine(settings.database_url, pool_size=1)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


def serve_http(settings: Settings) -> int:
    workers = settings.workers
    if settings.uses_memory_storage and workers > 1:
        logger.warning("in-memory storage is per process: serving with one worker, not %d", workers)
        workers = 1
    asyncio.run(migrate(settings))
    Server(
        "entrypoints.http.app:create_worker_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
    ).serve()
    return 0


def create_admin(settings: Settings, username: str, email: str) -> int:
    password = os.environ.get(ADMIN_PASSWORD_VARIABLE) or _prompt_password()
    if password is None:
        return 2

    async def create(container: AsyncContainer) -> int:
        use_case = await container.get(CreateAdministrator)
        return await use_case.execute(CreateAdministratorRequest(username, email, password))

    asyncio.run(migrate(settings))
    try:
        user_id = asyncio.run(_in_request(settings, create))
    except DomainError as error:
        print(f"authgate: {error}", file=sys.stderr)
        return 1
    print(f"administrator {username} created with id {user_id}")
    return 0


def _prompt_password() -> str | None:
    if not sys.stdin.isatty():
        print(f"authgate: set {ADMIN_PASSWORD_VARIABLE} or run in a terminal", file=sys.stderr)
        return None
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Repeat password: "):
        print("authgate: the passwords differ", file=sys.stderr)
        return None
    return password


async def _purge(container: AsyncContainer) -> int:
    return await (await container.get(PurgeSessions)).execute()


async def _in_request(settings: Settings, work: Callable[[AsyncContainer], Awaitable[_T]]) -> _T:
    container = build_container(settings)
    try:
        async with container(scope=Scope.REQUEST) as request_container:
            return await work(request_container)
    finally:
        await container.close()
