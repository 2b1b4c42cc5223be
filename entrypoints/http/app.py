"""The Litestar application: routes, CORS, error answers, OpenAPI, and the container's lifetime."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from dishka import AsyncContainer, Scope
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from adapters.prometheus_metrics import RequestMetrics
from application.ports import Metrics
from application.purge_sessions import PurgeSessions
from entrypoints.container import build_container
from entrypoints.http.auth import AuthController
from entrypoints.http.content import ContentController
from entrypoints.http.cors import json_preflight_refusals
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.observe import observed
from entrypoints.http.openapi import COMPONENTS
from entrypoints.http.operations import OperationsController
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings

logger = logging.getLogger("authgate")

_ALLOWED_HEADERS = ["x-access-token", "authorization", "content-type", "accept", "origin"]


def create_app(
    settings: Settings | None = None, container: AsyncContainer | None = None
) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The error table counts 503s; exception handlers cannot ask the container themselves.
        app.state.metrics = await container.get(Metrics)
        purger = None
        if settings.session_purge_interval:
            purger = asyncio.create_task(
                _purge_periodically(container, settings.session_purge_interval)
            )
        try:
            yield
        finally:
            if purger is not None:
                purger.cancel()
            await container.close()

    app = Litestar(
        route_handlers=[
            DishkaRouter(
                "", route_handlers=[AuthController, ContentController, OperationsController]
            ),
        ],
        lifespan=[lifespan],
        cors_config=CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=_ALLOWED_HEADERS,
            allow_credentials=True,
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        # Logging is configured once per process (entrypoints/logs.py), not by Litestar.
        logging_config=None,
        request_max_body_size=settings.max_body_size,
        openapi_config=OpenAPIConfig(
            title="Authgate",
            version="1.0.0",
            description="Signup, signin, sessions and role-based access.",
            path="/docs",
            components=COMPONENTS,
            render_plugins=[SwaggerRenderPlugin()],
        ),
    )
    setup_dishka(container, app)
    app.asgi_handler = observed(
        json_preflight_refusals(app.asgi_handler),
        RequestMetrics(),
        settings.trusted_proxy_networks,
        access_log=settings.access_log,
    )
    return app


def create_served_app() -> Litestar:
    """What granian builds in each worker process: the app, logging as configured."""
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return create_app(settings)


async def _purge_periodically(container: AsyncContainer, interval: int) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            async with container(scope=Scope.REQUEST) as request_container:
                purge = await request_container.get(PurgeSessions)
                purged = await purge.execute()
            logger.info("purged %d ended sessions", purged)
        except Exception:
            # A database hiccup must not end the loop; the next round tries again.
            logger.exception("purging ended sessions failed")
