"""The Litestar application: routes, CORS, error answers, OpenAPI, and the container's lifetime."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from dishka import AsyncContainer, Scope
from litestar import Litestar
from litestar.config.cors import CORSConfig

from adapters.key_ring import UNREADABLE, KeyRing
from adapters.prometheus_metrics import GC_PAUSES, RequestMetrics
from application.keys.rotate_signing_key import RotateSigningKey
from application.operations.purge_audit_events import PurgeAuditEvents
from application.operations.purge_sessions import PurgeSessions
from application.ports.caller import Caller
from application.ports.mail import OutgoingMail, PasswordResetRequests
from application.ports.metrics import Metrics
from application.shared.identify_caller import NOBODY
from entrypoints.http.account import AccountController
from entrypoints.http.admin import AdminController
from entrypoints.http.allow import every_method_allowed
from entrypoints.http.auth import AuthController
from entrypoints.http.content import ContentController
from entrypoints.http.cors import (
    cors_only_across_origins,
    cross_site_cookie_refusals,
    json_preflight_refusals,
)
from entrypoints.http.docs import openapi_config
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.headers import security_headers
from entrypoints.http.injection import InjectingRouter, use_container
from entrypoints.http.keys import KeysController
from entrypoints.http.mfa import SecondFactorController
from entrypoints.http.observe import observed
from entrypoints.http.openapi import COMPONENTS
from entrypoints.http.operations import OperationsController
from entrypoints.http.passkeys import PasskeyController, PasskeySigninController
from entrypoints.http.recovery import RecoveryController
from entrypoints.http.request import request_class
from entrypoints.ioc import build_container
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings

logger = logging.getLogger("authgate")

REQUEST_METRICS_INTERVAL = 1.0
# Seconds between looks at whether KEY_ROTATION_DAYS calls for a new key: one small read.
KEY_ROTATION_CHECK_INTERVAL = 60.0
_ALLOWED_HEADERS = ["x-access-token", "authorization", "content-type", "accept", "origin"]


def create_app(
    settings: Settings | None = None, container: AsyncContainer | None = None
) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)
    request_metrics = RequestMetrics()

    def flush_metrics() -> None:
        """This process's tallies into the metric families (adapters/prometheus_metrics.py)."""
        request_metrics.flush()
        GC_PAUSES.flush()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The error table counts 503s; exception handlers cannot ask the container themselves.
        app.state.metrics = await container.get(Metrics)
        # Mail delivery starts with the app, so that closing the container at the end always
        # flushes it, or logs what it drops.
        await container.get(OutgoingMail)
        await container.get(PasswordResetRequests)
        flusher = asyncio.create_task(_flush_periodically(flush_metrics))
        rotator = None
        if settings.keys.publishes_keys:
            await _first_signing_key(container)
            if settings.keys.key_rotation_days:
                rotator = asyncio.create_task(_rotate_when_due(container))
        purger = None
        if settings.database.purge_interval:
            purger = asyncio.create_task(
                _purge_periodically(container, settings.database.purge_interval)
            )
        try:
            yield
        finally:
            for task in (purger, rotator):
                if task is not None:
                    task.cancel()
            flusher.cancel()
            flush_metrics()
            await container.close()

    app = Litestar(
        route_handlers=[
            InjectingRouter(
                "",
                route_handlers=[
                    AuthController,
                    RecoveryController,
                    ContentController,
                    AccountController,
                    SecondFactorController,
                    AdminController,
                    OperationsController,
                    KeysController,
                    PasskeyController,
                    PasskeySigninController,
                ],
            ),
        ],
        lifespan=[lifespan],
        cors_config=CORSConfig(
            allow_origins=list(settings.edge.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=_ALLOWED_HEADERS,
            allow_credentials=True,
            # Not a CORS-safelisted header: a page on another origin could not read it otherwise.
            expose_headers=["Retry-After"],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        # Logging is configured once per process (entrypoints/logs.py), not by Litestar.
        logging_config=None,
        request_max_body_size=settings.edge.max_body_size,
        request_class=request_class(settings.edge.body_read_timeout),
        openapi_config=openapi_config(COMPONENTS) if settings.edge.docs_enabled else None,
    )
    use_container(app, container, settings.edge.trusted_proxy_networks)
    # GET /metrics adds this process's tallies before it answers.
    app.state.flush_metrics = flush_metrics
    app.asgi_handler = observed(
        cross_site_cookie_refusals(
            json_preflight_refusals(
                every_method_allowed(cors_only_across_origins(app), app.routes)
            ),
            settings.edge.cors_origins,
        ),
        request_metrics,
        settings.edge.trusted_proxy_networks,
        access_log=settings.server.access_log,
        headers=security_headers(settings.edge.hsts_max_age),
    )
    return app


def create_served_app() -> Litestar:
    """What granian builds in each worker process: the app, logging as configured."""
    settings = Settings.from_env()
    configure_logging(settings.server.log_format)
    return create_app(settings)


async def _flush_periodically(flush: Callable[[], None]) -> None:
    """Request metrics and collector pauses reach the metric families, and so every worker's
    scrape, within about REQUEST_METRICS_INTERVAL seconds."""
    while True:
        await asyncio.sleep(REQUEST_METRICS_INTERVAL)
        flush()


async def _purge_periodically(container: AsyncContainer, interval: int) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            async with container(
                scope=Scope.REQUEST, context={Caller: NOBODY}
            ) as request_container:
                purged = await (await request_container.get(PurgeSessions)).execute()
                events = await (await request_container.get(PurgeAuditEvents)).execute()
            logger.info("purged %d ended sessions and %d old audit events", purged, events)
        except Exception:
            # A database hiccup must not end the loop; the next round tries again.
            logger.exception("purging ended sessions failed")


async def _first_signing_key(container: AsyncContainer) -> None:
    """The worker's key ring read, and the first key of a first start made, now rather than at
    the first signin, so the key set is published from the start. Every worker of every server
    starting together asks; one key comes of it (a write the database decides). A database that
    is down now gives 503s until it is back, not a worker that cannot start: the key ring reads
    again when it needs the keys."""
    try:
        ring = await container.get(KeyRing)
        await ring.read()
    except Exception:
        logger.exception("making or reading the first signing key failed; trying again on use")
        return
    for kid in ring.unreadable():
        # Signins and refreshes answer 503 while it signs: said once, at the start, in full.
        logger.error("signing key %s is %s", kid, UNREADABLE)


async def _rotate_when_due(container: AsyncContainer) -> None:
    """KEY_ROTATION_DAYS: each worker looks now and then; when the signing key is due, one of
    them adds the next key (the others find it waiting)."""
    while True:
        await asyncio.sleep(KEY_ROTATION_CHECK_INTERVAL)
        try:
            async with container(
                scope=Scope.REQUEST, context={Caller: NOBODY}
            ) as request_container:
                key = await (await request_container.get(RotateSigningKey)).if_due()
            if key is not None:
                logger.info(
                    "key %s added by KEY_ROTATION_DAYS; it signs from %s", key.kid, key.signs_from
                )
        except Exception:
            logger.exception("the scheduled key rotation failed; trying again later")
