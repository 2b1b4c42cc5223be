"""`authgate keys revoke KID`: a compromised key, out of the key set and refusing its tokens at
once (the authorization query checks the key on every request)."""

from application.common.errors import KeysNotUsed
from application.keys.policy import KeyPolicy
from application.ports.clock import Clock
from application.ports.signing_keys import SigningKeyStore
from application.shared.transactions import Transactions
from domain.signing_keys import SigningKey, revocation


class RevokeSigningKey:
    def __init__(
        self,
        keys: SigningKeyStore,
        transactions: Transactions,
        clock: Clock,
        policy: KeyPolicy,
    ) -> None:
        self._keys = keys
        self._transactions = transactions
        self._clock = clock
        self._policy = policy

    async def execute(self, kid: str) -> list[SigningKey]:
        """The keys that changed. Raises SigningKeyNotFound or OnlySigningKey."""
        if not self._policy.publishes_keys:
            raise KeysNotUsed

        async def revoke() -> list[SigningKey]:
            keys = [s.key for s in await self._keys.all()]
            changes = revocation(keys, kid, self._clock.now(), self._policy.schedule.token_lifetime)
            for key in changes:
                await self._keys.update(key)
            return changes

        return await self._transactions.run(revoke)
