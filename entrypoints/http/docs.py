"""The interactive API documentation, served from files packaged with the service.

Litestar's own Swagger page loads its scripts from a CDN with no integrity check and starts them
from an inline script. Here the scripts come from the openapi-ui-bundles package and from this
package, so the page works offline and its Content-Security-Policy allows this server's files and
nothing else. Only the files the page loads are served: not the package's demo page, nor the
other viewers it ships.
"""

from html import escape
from pathlib import Path, PurePath
from typing import Any

from litestar import Request, Response, Router
from litestar.connection import ASGIConnection
from litestar.datastructures import ResponseHeader
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import Components
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_404_NOT_FOUND
from openapi_ui_bundles import swagger_ui

from entrypoints.http.errors import message_response

DOCS_PATH = "/docs"
ASSETS = f"{DOCS_PATH}/assets"
_OWN_ASSETS = Path(__file__).parent / "static"
# What the page below loads, and all that /docs/assets serves.
_PAGE_ASSETS = frozenset(
    {
        "favicon-32x32.png",
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-init.js",
    }
)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class PackagedSwagger(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/swagger", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-ui-standalone-preset.js"></script>
  <script src="{ASSETS}/swagger-init.js"></script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path="/assets",
                directories=[swagger_ui.static_path, _OWN_ASSETS],
                guards=[_page_assets_only],
            )
        )


def _page_assets_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuses to serve any file but the page's own. OPTIONS serves none: it names the route's
    methods, as on every other path."""
    if connection.scope.get("method") == "OPTIONS":
        return
    if PurePath(connection.path_params["file_path"]).as_posix().lstrip("/") not in _PAGE_ASSETS:
        raise NotFoundException


async def _json_not_found(response: Response[Any]) -> Response[Any]:
    """Litestar answers an unknown path under the docs with an HTML page; every error here is
    JSON."""
    if response.status_code == HTTP_404_NOT_FOUND:
        return message_response(HTTP_404_NOT_FOUND, "Not Found")
    return response


def openapi_config(components: Components) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Authgate",
        version="1.0.0",
        description="Signup, signin, sessions and role-based access.",
        components=components,
        render_plugins=[PackagedSwagger()],
        openapi_router=Router(
            DOCS_PATH,
            route_handlers=[],
            include_in_schema=False,
            dto=None,
            return_dto=None,
            after_request=_json_not_found,
            response_headers=[
                ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY)
            ],
        ),
    )
