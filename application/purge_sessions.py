from application.ports import Clock, SessionStore, UnitOfWork


class PurgeSessions:
    """Deletes sessions that can never be used again, so they do not pile up."""

    def __init__(self, sessions: SessionStore, clock: Clock, uow: UnitOfWork) -> None:
        self._sessions = sessions
        self._clock = clock
        self._uow = uow

    async def execute(self) -> int:
        purged = await self._sessions.purge(self._clock.now())
        await self._uow.commit()
        return purged
