from application.ports.clock import Clock
from application.ports.passkeys import PasskeyChallengeStore
from application.ports.sessions import SessionStore
from application.shared.transactions import Transactions


class PurgeSessions:
    """Deletes sessions that can never be used again, and expired passkey challenges, so they do
    not pile up."""

    def __init__(
        self,
        sessions: SessionStore,
        challenges: PasskeyChallengeStore,
        clock: Clock,
        transactions: Transactions,
    ) -> None:
        self._sessions = sessions
        self._challenges = challenges
        self._clock = clock
        self._transactions = transactions

    async def execute(self) -> int:
        return await self._transactions.run(self._purge)

    async def _purge(self) -> int:
        now = self._clock.now()
        await self._challenges.purge(now)
        return await self._sessions.purge(now)
