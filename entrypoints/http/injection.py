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

import functools
import inspect
from collections.abc import Sequence
from typing import Any

from dishka import AsyncContainer, Scope
from dishka.integrations.base import default_parse_dependency, wrap_injection
from litestar import Litestar, Request, Router
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ControllerRouterHandler

from application.ports.caller import Caller
from entrypoints.http.client import Network, RequestCaller

AnyRequest = Request[Any, Any, Any]

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


def use_container(
    app: Litestar, container: AsyncContainer, trusted_proxies: Sequence[Network] = ()
) -> None:
    """Makes `container` the one the application's handlers resolve their parameters from, and
    `trusted_proxies` the proxies whose X-Forwarded-For names the caller's address."""
    app.state.dishka_container = container
    app.state.trusted_proxies = tuple(trusted_proxies)


def _injected(handler: Any) -> Any:
    parameters = inspect.signature(handler).parameters
    if not any(default_parse_dependency(p, p.annotation) for p in parameters.values()):
        # Also Litestar's own handlers (OPTIONS), and one injected already.
        return handler
    return wrap_injection(
        func=handler if _REQUEST in parameters else _taking_request(handler),
        is_async=True,
        container_getter=_container_of,
        manage_scope=True,
        scope=Scope.REQUEST,
        provide_context=_caller_of,
    )


def _taking_request(handler: Any) -> Any:
    """The handler, declaring the request it does not use, so that Litestar passes it: the scope
    is opened from it. (dishka's `additional_params` would add it too, but takes it away before
    `provide_context` could read the caller off it.)"""

    @functools.wraps(handler)
    async def with_request(*args: Any, request: AnyRequest, **kwargs: Any) -> Any:
        return await handler(*args, **kwargs)

    signature = inspect.signature(handler)
    request = inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
    with_request.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), request]
    )
    with_request.__annotations__ = {**handler.__annotations__, _REQUEST: Request}
    return with_request


def _container_of(_: tuple[Any, ...], kwargs: dict[str, Any]) -> AsyncContainer:
    container: AsyncContainer = kwargs[_REQUEST].app.state.dishka_container
    return container


def _caller_of(_: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[Any, Any]:
    """The request scope's context: the request's caller, for the use cases that ask who is
    calling (`IdentifyCaller`)."""
    request: AnyRequest = kwargs[_REQUEST]
    return {Caller: RequestCaller(request, request.app.state.trusted_proxies)}
