"""GET /.well-known/jwks.json: the public keys a live token may carry or that will sign soon,
read from storage on every request, so every server publishes a new key with its next answer."""

import json
from dataclasses import dataclass
from typing import Any

from application.keys.policy import KeyPolicy
from application.ports.clock import Clock
from application.ports.signing_keys import SigningKeyStore
from domain.signing_keys import published


@dataclass(frozen=True, slots=True)
class KeySet:
    keys: list[dict[str, Any]]
    """Public JWKs, newest first; none with HS256."""
    cache_for: int
    """Seconds a verifier may keep it: JWKS_MAX_AGE, which every new key waits out before it
    signs."""


class PublishedSigningKeys:
    def __init__(self, keys: SigningKeyStore, clock: Clock, policy: KeyPolicy) -> None:
        self._keys = keys
        self._clock = clock
        self._policy = policy

    async def execute(self) -> KeySet:
        cache_for = int(self._policy.schedule.publish_for.total_seconds())
        if not self._policy.publishes_keys:
            return KeySet([], cache_for)
        stored = {s.key.kid: s for s in await self._keys.all()}
        keys = published(
            (s.key for s in stored.values()),
            self._clock.now(),
            self._policy.schedule.token_lifetime,
        )
        return KeySet([json.loads(stored[key.kid].public_jwk) for key in keys], cache_for)
