"""Handlers get their use cases from the dishka container, in a request scope opened around the
handler itself, and only for handlers that ask for something.

dishka's own Litestar integration opens the request scope in a middleware, around every request:
a public page, a health check or a 404 paid for a request container and an extra Request object
they never used, about a fifth of the time GET /api/test/all took. Here dishka compiles each
handler that has `FromDishka[...]` parameters into one that opens the scope, resolves them, calls
the handler and closes the scope (`wrap_injection` with `manage_scope`); every other handler is
left as it is. The scope ends when the handler returns, so a request's database connection goes
back to the pool before its answer is encoded and sent, not after.
"""

import inspect
from typing import Any

from dishka import AsyncContainer, Scope
from dishka.integrations.base import default_parse_dependency, wrap_injection
from litestar import Litestar, Request, Router
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ControllerRouterHandler

_REQUEST = "request"


class InjectingRouter(Router):
    """A router whose HTTP handlers are given their `FromDishka[...]` parameters."""

    __slots__ = ()

    def register(self, value: ControllerRouterHandler) -> list[BaseRoute]:
        routes = super().register(value)
        # Litestar reads a handler's signature when the application registers the router, after
        # this: the injected function is what it sees.
        for route in routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler in route.route_handlers:
                handler._fn = _injected(handler._fn)
        return routes


def use_container(app: Litestar, container: AsyncContainer) -> None:
    """Makes `container` the one the application's handlers resolve their parameters from."""
    app.state.dishka_container = container


def _injected(handler: Any) -> Any:
    parameters = inspect.signature(handler).parameters
    if not any(default_parse_dependency(p, p.annotation) for p in parameters.values()):
        # Also Litestar's own handlers (OPTIONS), and one injected already.
        return handler
    takes_request = _REQUEST in parameters
    request = inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
    return wrap_injection(
        func=handler,
        is_async=True,
        # Litestar passes the request to a handler that declares it; the injected handler
        # declares it when the handler does not, to reach the container.
        additional_params=[] if takes_request else [request],
        container_getter=_container_of,
        manage_scope=True,
        scope=Scope.REQUEST,
    )


def _container_of(_: tuple[Any, ...], kwargs: dict[str, Any]) -> AsyncContainer:
    container: AsyncContainer = kwargs[_REQUEST].app.state.dishka_container
    return container
