"""Whether this process can serve what needs storage: what an orchestrator's readiness probe asks
before it sends traffic, and keeps asking while it does."""

from application.ports.storage import StorageProbe


class CheckReadiness:
    def __init__(self, probe: StorageProbe) -> None:
        self._probe = probe

    async def execute(self) -> None:
        """Returns when storage answers within the request's deadline; raises StorageUnavailable
        (answered 503) when it does not."""
        await self._probe.ping()
