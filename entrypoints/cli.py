"""`authgate serve | migrate | create-admin | purge-sessions | users | audit | keys` (or
`python -m entrypoints ...`)."""

import argparse
import asyncio
import contextlib
import getpass
import logging
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from dishka import AsyncContainer, Scope
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server import MPServer, MTServer, Server
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.hashing_places import HashingPlaces
from adapters.prometheus_metrics import MULTIPROCESS_DIRECTORY_VARIABLE
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade_to_head
from application.admin.create_administrator import CreateAdministrator, CreateAdministratorRequest
from application.operations.purge_audit_events import PurgeAuditEvents
from application.operations.purge_sessions import PurgeSessions
from application.ports.caller import Caller
from application.shared.identify_caller import OPERATOR
from domain.errors import DomainError
from entrypoints import cli_admin, cli_keys
from entrypoints.ioc import build_container
from entrypoints.ioc.core import HASHING_PLACES_VARIABLE
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings, SettingsError
from entrypoints.worker import SERVER_PID_VARIABLE

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
    commands.add_parser(
        "purge-sessions",
        help="delete ended sessions, expired refresh tokens and audit events past retention",
    )
    cli_admin.add_commands(commands)
    cli_keys.add_commands(commands)
    args = parser.parse_args(argv)

    for option in ("host", "port", "workers"):
        if getattr(args, option, None) is not None:
            os.environ[option.upper()] = str(getattr(args, option))
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"authgate: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.server.log_format)
    if args.command not in ("serve", "migrate"):
        # A command a person reads: Alembic's notes on every start would bury its answer.
        logging.getLogger("alembic").setLevel(logging.WARNING)

    if args.command == "serve":
        return serve_http(settings)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
        print("database is up to date")
        return 0
    if args.command == "create-admin":
        return create_admin(settings, args.username, args.email)
    if args.command in ("users", "audit", "keys"):
        asyncio.run(migrate(settings))
        run = cli_keys.run if args.command == "keys" else cli_admin.run
        return run(settings, args, _in_request)
    purged, events = asyncio.run(_in_request(settings, _purge))
    print(f"purged {purged} ended sessions and {events} old audit events")
    return 0


async def migrate(settings: Settings) -> None:
    database = settings.database
    if database.uses_memory_storage:
        return
    engine: AsyncEngine = create_engine(database.url, pool_size=1, deadline=database.deadline)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


def serve_http(settings: Settings) -> int:
    workers = settings.server.workers
    if settings.database.uses_memory_storage and workers > 1:
        logger.warning("in-memory storage is per process: serving with one worker, not %d", workers)
        workers = 1
    asyncio.run(migrate(settings))
    os.environ[SERVER_PID_VARIABLE] = str(os.getpid())
    # Workers start as fresh interpreters rather than forks: this process imported
    # prometheus_client before the metrics directory existed, and a fork would hand every worker
    # its single-process counters instead of the shared files /metrics adds up.
    multiprocessing.set_start_method("spawn", force=True)
    with _metrics_directory(), _hashing_places(workers):
        server = http_server("entrypoints.worker:create_worker_app", settings, workers)
        # granian's logging set-up closed every handler, ours included.
        configure_logging(settings.server.log_format)
        server.serve()
    return 0


def http_server(app_factory: str, settings: Settings, workers: int) -> MPServer | MTServer:
    """granian serving `app_factory` ("module:function") as Authgate is served. The bench serves
    its bare Litestar app (bench/hello.py) through this too, so that the two differ only in the
    application."""
    return Server(
        app_factory,
        address=settings.server.host,
        port=settings.server.port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
        # granian's own lines (workers started, stopped) in the same format as ours.
        log_dictconfig={"loggers": {"_granian": {"handlers": [], "propagate": True}}},
        # A worker that dies is replaced; the others serve on meanwhile.
        respawn_failed_workers=True,
        # HTTP/1 only: browsers speak HTTP/2 over TLS alone, which a proxy in front terminates,
        # and a cleartext HTTP/2 connection has no header deadline: one that sent only the
        # preface held its connection slot for ever.
        http=HTTPModes.http1,
        # granian's "backpressure" is the number of connections a worker holds open, idle and
        # slow ones included: the slots a slow client may take, bounded by the read timeouts.
        backpressure=settings.edge.max_connections,
        http1_settings=HTTP1Settings(
            header_read_timeout=round(settings.edge.header_read_timeout * 1000)
        ),
    )


@contextlib.contextmanager
def _hashing_places(workers: int) -> Iterator[None]:
    """The places the workers hash in, one a core (entrypoints.ioc.core,
    adapters.hashing_places), made for this run and removed at exit; a lone worker needs none."""
    if workers < 2:
        yield
        return
    places = HashingPlaces.create(os.cpu_count() or 1)
    os.environ[HASHING_PLACES_VARIABLE] = str(places.key)
    try:
        yield
    finally:
        del os.environ[HASHING_PLACES_VARIABLE]
        places.remove()


@contextlib.contextmanager
def _metrics_directory() -> Iterator[None]:
    """Where the workers keep their metrics for /metrics to sum (prometheus_client's
    multiprocess mode): PROMETHEUS_MULTIPROC_DIR if set, emptied first so that a previous run's
    counts do not come back; else a directory of this run's own, removed at exit."""
    configured = os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield
        return
    with tempfile.TemporaryDirectory(prefix="authgate-metrics-") as own:
        os.environ[MULTIPROCESS_DIRECTORY_VARIABLE] = own
        yield


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


async def _purge(container: AsyncContainer) -> tuple[int, int]:
    sessions = await (await container.get(PurgeSessions)).execute()
    return sessions, await (await container.get(PurgeAuditEvents)).execute()


async def _in_request(settings: Settings, work: Callable[[AsyncContainer], Awaitable[_T]]) -> _T:
    container = build_container(settings)
    try:
        # Every command acts as the operator: the machine and its database are the authority.
        context = {Caller: OPERATOR}
        async with container(scope=Scope.REQUEST, context=context) as request_container:
            return await work(request_container)
    finally:
        await container.close()
