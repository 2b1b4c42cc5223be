from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.shared.transactions import Transactions


class PurgeSessions:
    """Deletes sessions that can never be used again, so they do not pile up."""

    def __init__(self, sessions: SessionStore, clock: Clock, transactions: Transactions) -> None:
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions

    async def execute(self) -> int:
        return await self._transactions.run(lambda: self._sessions.purge(self._clock.now()))
