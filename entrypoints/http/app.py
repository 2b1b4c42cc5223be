"""The Litestar application: routes, CORS, error answers, OpenAPI, and the container's lifetime."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from dishka import AsyncContainer, Scope
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from application.purge_sessions import PurgeSessions
from entrypoints.container import build_container
from entrypoints.http.auth import AuthController
from entrypoints.http.content import ContentController
from entrypoints.http.cors import json_preflight_refusals
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.settings import Settings

logger = logging.getLogger("authgate")

_ALLOWED_HEADERS = ["x-access-token", "authorization", "content-type", "accept", "origin"]


def create_app(
    settings: Settings | None = None, container: AsyncContainer | None = None
) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
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
            DishkaRouter("", route_handlers=[AuthController, ContentController]),
        ],
        lifespan=[lifespan],
        cors_config=CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=_ALLOWED_HEADERS,
            allow_credentials=True,
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_size,
        openapi_config=OpenAPIConfig(
            title="Authgate",
            version="1.0.0",
            description="Signup, signin, sessions and role-based access.",
            path="/docs",
            render_plugins=[SwaggerRenderPlugin()],
        ),
    )
    setup_dishka(container, app)
    app.asgi_handler = json_preflight_refusals(app.asgi_handler)
    return app


def create_worker_app() -> Litestar:
    """The app as each granian worker serves it: built, then its start-up heap frozen.

    Start-up leaves some 120,000 long-lived objects (modules, routes, schemas) that the cyclic
    collector walked on every full collection, and requests leave enough reference cycles behind
    that a full collection ran every few seconds under load: 35-50 ms each on this kind of
    machine, with the worker answering nothing meanwhile, which was the p99 of every endpoint.
    Frozen, they are still freed by reference counting but never walked, and a full collection
    takes about a millisecond.
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


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
