"""The keys that sign access tokens, and the rules of their succession, as pure functions of the
keys and the time.

A key's state is never stored: it follows from three moments. A key is `next` until `signs_from`
(published, not yet signing), `current` from then until `signs_until` (signing), `previous` from
then until every token it signed has expired (`signs_until` plus the tokens' lifetime: still
published, no longer signing), then `retired` (gone from the key set). A revoked key is gone at
once and its tokens are refused. Every server reading the same keys therefore agrees on every
state at every moment, with nothing to switch over: a rotation is one write, made in advance.

Keys follow each other by `generation`: a rotation claims the generation after the newest key,
and storage refuses a second claim of it, so two rotations at once leave one `next` key. A
revoked key gives its generation up (None).
"""

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import DomainError


class KeyState(enum.StrEnum):
    NEXT = "next"
    CURRENT = "current"
    PREVIOUS = "previous"
    RETIRED = "retired"
    REVOKED = "revoked"


PUBLISHED_STATES = frozenset({KeyState.NEXT, KeyState.CURRENT, KeyState.PREVIOUS})


class NextKeyWaiting(DomainError):
    """A rotation while a `next` key waits to sign: the waiting key is the rotation."""

    def __init__(self, kid: str) -> None:
        super().__init__(f"key {kid} is already waiting to sign")
        self.kid = kid


class SigningKeyNotFound(DomainError):
    def __init__(self, kid: str) -> None:
        super().__init__(f"no key {kid}")
        self.kid = kid


class OnlySigningKey(DomainError):
    """Revoking the signing key with no `next` key to take over would leave nothing to sign."""

    def __init__(self, kid: str) -> None:
        super().__init__(
            f"key {kid} is the only signing key: rotate first, then revoke it "
            "(the next key then signs at once)"
        )
        self.kid = kid


@dataclass(frozen=True, slots=True)
class KeySchedule:
    publish_for: timedelta
    """JWKS_MAX_AGE: a verifier that cached the key set before a rotation has fetched it again
    by the time the new key signs, so it never meets an unknown `kid`."""
    token_lifetime: timedelta
    """How long a token lives: a key stays published that long after it stopped signing."""
    rotate_every: timedelta | None = None
    """KEY_ROTATION_DAYS; None: only when an operator asks."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    algorithm: str
    generation: int | None
    """Its place in the succession; None once revoked."""
    created_at: datetime
    signs_from: datetime
    signs_until: datetime | None
    """None while no successor is scheduled."""
    revoked_at: datetime | None = None

    def state(self, now: datetime, token_lifetime: timedelta) -> KeyState:
        if self.revoked_at is not None:
            return KeyState.REVOKED
        if now < self.signs_from:
            return KeyState.NEXT
        if self.signs_until is None or now < self.signs_until:
            return KeyState.CURRENT
        if now < self.signs_until + token_lifetime:
            return KeyState.PREVIOUS
        return KeyState.RETIRED

    def retires_at(self, token_lifetime: timedelta) -> datetime | None:
        """When the last token it signed expires; None while it may still sign."""
        if self.revoked_at is not None:
            return self.revoked_at
        return None if self.signs_until is None else self.signs_until + token_lifetime

    def is_published(self, now: datetime, token_lifetime: timedelta) -> bool:
        return self.state(now, token_lifetime) in PUBLISHED_STATES


def published(
    keys: Iterable[SigningKey], now: datetime, token_lifetime: timedelta
) -> list[SigningKey]:
    """Every key a live token may carry or that will sign soon, newest first."""
    return _newest_first(k for k in keys if k.is_published(now, token_lifetime))


def signing_key(keys: Iterable[SigningKey], now: datetime) -> SigningKey | None:
    """The key that signs at `now`: the newest unrevoked one whose time has come."""
    due = [k for k in keys if k.revoked_at is None and k.signs_from <= now]
    return _newest_first(due)[0] if due else None


def waiting_key(keys: Iterable[SigningKey], now: datetime) -> SigningKey | None:
    waiting = [k for k in keys if k.revoked_at is None and now < k.signs_from]
    return _newest_first(waiting)[0] if waiting else None


def first_key(kid: str, algorithm: str, now: datetime, keys: Sequence[SigningKey]) -> SigningKey:
    """The key of a first start, signing at once: no verifier can have cached anything yet."""
    return SigningKey(kid, algorithm, _next_generation(keys), now, now, None)


def needs_first_key(keys: Iterable[SigningKey], now: datetime) -> bool:
    return signing_key(keys, now) is None and waiting_key(keys, now) is None


@dataclass(frozen=True, slots=True)
class Succession:
    """A rotation: the new key, and the signing key with its signing end set."""

    successor: SigningKey
    predecessor: SigningKey | None


def succession(
    keys: Sequence[SigningKey], kid: str, algorithm: str, now: datetime, schedule: KeySchedule
) -> Succession:
    """A new `next` key that signs once it has been published for `publish_for`, from which
    moment the signing key becomes `previous` (or, when nothing signs yet, a first key). Raises
    NextKeyWaiting."""
    waiting = waiting_key(keys, now)
    if waiting is not None:
        raise NextKeyWaiting(waiting.kid)
    current = signing_key(keys, now)
    if current is None:
        # Nothing signs yet (a rotation before the first start): no verifier can have cached
        # anything, so the key signs at once, as a first key does.
        return Succession(first_key(kid, algorithm, now, keys), None)
    signs_from = now + schedule.publish_for
    successor = SigningKey(kid, algorithm, _next_generation(keys), now, signs_from, None)
    return Succession(successor, replace(current, signs_until=signs_from))


def rotation_due(keys: Sequence[SigningKey], now: datetime, schedule: KeySchedule) -> bool:
    """KEY_ROTATION_DAYS: the signing key has signed that long and no successor waits."""
    if schedule.rotate_every is None or waiting_key(keys, now) is not None:
        return False
    current = signing_key(keys, now)
    return current is not None and now - current.signs_from >= schedule.rotate_every


def revocation(
    keys: Sequence[SigningKey], kid: str, now: datetime, token_lifetime: timedelta
) -> list[SigningKey]:
    """The keys that change when `kid` is revoked: the key itself, gone at once, and:
    - revoking the signing key: the `next` key signs from now on (refused if there is none);
    - revoking a `next` key: the signing key signs on, as if that rotation never happened.
    Raises SigningKeyNotFound (a retired or already revoked key too) or OnlySigningKey."""
    target = next((k for k in keys if k.kid == kid), None)
    if target is None or not target.is_published(now, token_lifetime):
        raise SigningKeyNotFound(kid)
    revoked = replace(target, generation=None, revoked_at=now)
    state = target.state(now, token_lifetime)
    current, waiting = signing_key(keys, now), waiting_key(keys, now)
    if state is KeyState.CURRENT:
        if waiting is None:
            raise OnlySigningKey(kid)
        return [replace(revoked, signs_until=now), replace(waiting, signs_from=now)]
    if state is KeyState.NEXT and current is not None:
        return [revoked, replace(current, signs_until=None)]
    return [revoked]


def _next_generation(keys: Iterable[SigningKey]) -> int:
    return max((k.generation for k in keys if k.generation is not None), default=0) + 1


def _newest_first(keys: Iterable[SigningKey]) -> list[SigningKey]:
    return sorted(keys, key=lambda k: (k.signs_from, k.created_at), reverse=True)
