"""What operators and orchestrators ask of a running process: is it alive, is it ready, what has
it been doing."""

from dishka.integrations.litestar import FromDishka
from litestar import Controller, get

from application.check_readiness import CheckReadiness
from entrypoints.http.openapi import refusals
from entrypoints.http.schemas import StatusBody


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
