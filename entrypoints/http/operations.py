"""What operators and orchestrators ask of a running process: is it alive, is it ready, what has
it been doing."""

from typing import Any

from dishka.integrations.litestar import FromDishka
from litestar import Controller, MediaType, Request, Response, get
from litestar.exceptions import PermissionDeniedException

from adapters.prometheus_metrics import CONTENT_TYPE, exposition
from application.operations.check_readiness import CheckReadiness
from entrypoints.http.client import address_within, client_address
from entrypoints.http.openapi import refusals
from entrypoints.http.schemas import StatusBody
from entrypoints.settings import EdgeSettings

AnyRequest = Request[Any, Any, Any]
METRICS_REFUSED = "Metrics are not served to this address."


class OperationsController(Controller):
    tags = ["operations"]

    @get("/healthz")
    async def health(self) -> StatusBody:
        """Answers while the process serves; asks nothing of the database (a liveness probe)."""
        return StatusBody("ok")

    @get(
        "/readyz",
        responses=refusals(503, meanings={503: "The database did not answer within its deadline."}),
    )
    async def readiness(self, check: FromDishka[CheckReadiness]) -> StatusBody:
        """Answers 200 when the database answers a trivial query within its deadline
        (DB_DEADLINE), else 503 (a readiness probe)."""
        await check.execute()
        return StatusBody("ready")

    @get(
        "/metrics",
        media_type=MediaType.TEXT,
        responses=refusals(403, meanings={403: "The client address is not in METRICS_ALLOW."}),
    )
    async def metrics(self, request: AnyRequest, edge: FromDishka[EdgeSettings]) -> Response[bytes]:
        """Prometheus text format, summed over every worker process of this server. Served
        only to the addresses in METRICS_ALLOW (loopback by default)."""
        address = client_address(request, edge.trusted_proxy_networks)
        if not address_within(address, edge.metrics_networks):
            raise PermissionDeniedException(METRICS_REFUSED)
        # This process's requests up to now; the other workers' flush every second.
        request.app.state.flush_metrics()
        return Response(exposition(), headers={"content-type": CONTENT_TYPE})
