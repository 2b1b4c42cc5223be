"""The signing keys as this process last read them from storage: the public keys that verify,
and the private key that signs now, opened once.

Verification never waits on storage for a key it knows. The set is read again:
- before signing, when the last read is over `refresh_every` old (1 s): a signin or a refresh
  then signs with whatever key storage says signs now, so a rotation, and a revocation that hands
  signing to the next key at once, reach every process within that second;
- when a token names a `kid` this process does not know (at most every `unknown_kid_every`, so a
  flood of made-up `kid`s costs at most ten reads a second).

A revoked key is refused here once the set is read again; the refusal that holds at once, on
every server, is the authorization query's, which checks the token's key against storage on
every protected request (adapters/sqlalchemy/principals.py)."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from adapters.signing_keys import KeySealer, UnreadableSigningKey, public_key_of
from application.common.errors import TemporarilyUnavailable
from application.common.outcomes import UnavailableCause
from application.ports.clock import Clock
from application.ports.signing_keys import StoredSigningKey
from domain.signing_keys import SigningKey, signing_key


class KeySource(Protocol):
    async def load(self) -> Sequence[StoredSigningKey]:
        """Every stored key, making the first one if none signs yet. On a connection of its
        own, never one of the request pool's: a signin waits for the ring while holding its
        pooled connection, so a read from that pool could wait for it in turn (with every
        connection held by signins, until their deadline)."""
        ...


UNREADABLE = (
    "sealed under another JWT_SECRET: set the secret the keys were made with, or run "
    "`authgate keys rotate` and then `authgate keys revoke` of the key"
)


class NoSigningKey(Exception):
    """Storage holds no key that signs now: the first start did not make one."""


@dataclass(frozen=True, slots=True)
class _Known:
    key: SigningKey
    public_key: ec.EllipticCurvePublicKey
    sealed_private_key: bytes


class KeyRing:
    def __init__(
        self,
        source: KeySource,
        sealer: KeySealer,
        clock: Clock,
        *,
        refresh_every: timedelta = timedelta(seconds=1),
        unknown_kid_every: timedelta = timedelta(milliseconds=100),
    ) -> None:
        self._source = source
        self._sealer = sealer
        self._clock = clock
        self._refresh_every = refresh_every
        self._unknown_kid_every = unknown_kid_every
        self._known: dict[str, _Known] = {}
        self._private_keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    def public_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        """The key that verifies `kid`'s tokens, as last read; None if unknown or revoked."""
        known = self._known.get(kid)
        if known is None or known.key.revoked_at is not None:
            return None
        return known.public_key

    async def read(self) -> None:
        """Reads the keys now (a worker's start: the first key is made if there is none)."""
        await self._read_if_older_than(timedelta(0))

    async def learn(self, kid: str) -> bool:
        """Whether `kid` verifies, after reading the set again unless it was just read."""
        await self._read_if_older_than(self._unknown_kid_every)
        return self.public_key(kid) is not None

    async def signing_key(self) -> tuple[str, ec.EllipticCurvePrivateKey]:
        await self._read_if_older_than(self._refresh_every)
        current = signing_key((k.key for k in self._known.values()), self._clock.now())
        if current is None:
            raise NoSigningKey
        private_key = self._private_keys.get(current.kid)
        if private_key is None:
            sealed = self._known[current.kid].sealed_private_key
            try:
                private_key = self._sealer.open(current.kid, sealed)
            except UnreadableSigningKey:
                raise TemporarilyUnavailable(
                    UnavailableCause.SIGNING_KEY, f"{UNREADABLE} {current.kid}"
                ) from None
            self._private_keys[current.kid] = private_key
        return current.kid, private_key

    def unreadable(self) -> list[str]:
        """The keys, of those that sign now or will, that this process cannot open: sealed
        under another JWT_SECRET. As last read."""
        unreadable, now = [], self._clock.now()
        for known in self._known.values():
            key = known.key
            if key.revoked_at is not None or (
                key.signs_until is not None and key.signs_until <= now
            ):
                continue  # it never signs again
            try:
                self._sealer.open(known.key.kid, known.sealed_private_key)
            except UnreadableSigningKey:
                unreadable.append(known.key.kid)
        return unreadable

    async def _read_if_older_than(self, age: timedelta) -> None:
        asked_at = self._clock.now()
        if self._loaded_at is not None and asked_at - self._loaded_at < age:
            return
        async with self._lock:
            # Another task may have read it while this one waited for the lock.
            if self._loaded_at is not None and asked_at - self._loaded_at < age:
                return
            stored = await self._source.load()
            self._known = {
                s.key.kid: _Known(s.key, self._public_key(s), s.sealed_private_key) for s in stored
            }
            self._loaded_at = asked_at

    def _public_key(self, stored: StoredSigningKey) -> ec.EllipticCurvePublicKey:
        known = self._known.get(stored.key.kid)
        return known.public_key if known is not None else public_key_of(stored.public_jwk)
