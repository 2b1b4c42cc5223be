"""`authgate keys list`: every key with its state now."""

from dataclasses import dataclass
from datetime import datetime

from application.keys.policy import KeyPolicy
from application.ports.clock import Clock
from application.ports.signing_keys import SigningKeyStore
from domain.signing_keys import KeyState, SigningKey


@dataclass(frozen=True, slots=True)
class ListedSigningKey:
    key: SigningKey
    state: KeyState
    retires_at: datetime | None


class ListSigningKeys:
    def __init__(self, keys: SigningKeyStore, clock: Clock, policy: KeyPolicy) -> None:
        self._keys = keys
        self._clock = clock
        self._policy = policy

    async def execute(self) -> list[ListedSigningKey]:
        """Oldest first."""
        now, lifetime = self._clock.now(), self._policy.schedule.token_lifetime
        keys = sorted((s.key for s in await self._keys.all()), key=lambda k: k.created_at)
        return [
            ListedSigningKey(key, key.state(now, lifetime), key.retires_at(lifetime))
            for key in keys
        ]
