"""The keys' succession as pure rules: states from three moments, publish before signing, keep
until every token signed has expired, and what a revocation changes."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.signing_keys import (
    KeySchedule,
    KeyState,
    NextKeyWaiting,
    OnlySigningKey,
    SigningKey,
    SigningKeyNotFound,
    first_key,
    needs_first_key,
    published,
    revocation,
    rotation_due,
    signing_key,
    succession,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
MAX_AGE = timedelta(seconds=600)
LIFETIME = timedelta(hours=1)
SCHEDULE = KeySchedule(MAX_AGE, LIFETIME, timedelta(days=30))
SECOND = timedelta(seconds=1)


def rotated() -> tuple[SigningKey, SigningKey]:
    """A first key at T0, rotated an hour later."""
    first = first_key("first", "ES256", T0, [])
    change = succession([first], "second", "ES256", T0 + LIFETIME, SCHEDULE)
    assert change.predecessor is not None
    return change.predecessor, change.successor


def test_a_first_key_signs_at_once_and_only_when_nothing_signs_or_waits() -> None:
    assert needs_first_key([], T0)
    first = first_key("first", "ES256", T0, [])
    assert first.state(T0, LIFETIME) is KeyState.CURRENT
    assert first.generation == 1
    assert not needs_first_key([first], T0)


def test_a_rotated_key_is_next_for_jwks_max_age_then_signs() -> None:
    old, new = rotated()
    switch = T0 + LIFETIME + MAX_AGE

    assert (new.generation, new.signs_from, old.signs_until) == (2, switch, switch)
    assert new.state(switch - SECOND, LIFETIME) is KeyState.NEXT
    assert signing_key([old, new], switch - SECOND) == old
    assert new.state(switch, LIFETIME) is KeyState.CURRENT
    assert signing_key([old, new], switch) == new


def test_the_old_key_stays_published_until_every_token_it_signed_has_expired() -> None:
    old, new = rotated()
    retires = T0 + LIFETIME + MAX_AGE + LIFETIME

    assert old.retires_at(LIFETIME) == retires
    assert old.state(retires - SECOND, LIFETIME) is KeyState.PREVIOUS
    assert published([old, new], retires - SECOND, LIFETIME) == [new, old]
    assert old.state(retires, LIFETIME) is KeyState.RETIRED
    assert published([old, new], retires, LIFETIME) == [new]


def test_one_next_key_at_a_time() -> None:
    old, new = rotated()
    with pytest.raises(NextKeyWaiting):
        succession([old, new], "third", "ES256", T0 + LIFETIME, SCHEDULE)


def test_a_rotation_with_nothing_signing_makes_a_first_key() -> None:
    change = succession([], "only", "ES256", T0, SCHEDULE)
    assert (change.successor.signs_from, change.predecessor) == (T0, None)


def test_a_rotation_is_due_after_key_rotation_days_unless_a_key_waits() -> None:
    first = first_key("first", "ES256", T0, [])
    due = T0 + timedelta(days=30)
    assert not rotation_due([first], due - SECOND, SCHEDULE)
    assert rotation_due([first], due, SCHEDULE)
    change = succession([first], "second", "ES256", due, SCHEDULE)
    assert change.predecessor is not None
    assert not rotation_due([change.predecessor, change.successor], due, SCHEDULE)
    assert not rotation_due([first], due, KeySchedule(MAX_AGE, LIFETIME, None))


def test_the_only_signing_key_cannot_be_revoked() -> None:
    first = first_key("first", "ES256", T0, [])
    with pytest.raises(OnlySigningKey):
        revocation([first], "first", T0, LIFETIME)


def test_revoking_the_signing_key_hands_signing_to_the_next_key_at_once() -> None:
    old, new = rotated()
    now = T0 + LIFETIME + SECOND

    changes = {k.kid: k for k in revocation([old, new], "first", now, LIFETIME)}

    assert changes["first"].state(now, LIFETIME) is KeyState.REVOKED
    assert changes["first"].generation is None
    assert changes["second"].signs_from == now
    assert signing_key(changes.values(), now) == changes["second"]
    assert published(changes.values(), now, LIFETIME) == [changes["second"]]


def test_revoking_the_next_key_undoes_its_rotation() -> None:
    old, new = rotated()
    now = T0 + LIFETIME + SECOND

    changes = {k.kid: k for k in revocation([old, new], "second", now, LIFETIME)}

    assert changes["first"].signs_until is None
    assert changes["second"].generation is None
    later = now + MAX_AGE + LIFETIME * 2
    assert signing_key(changes.values(), later) == changes["first"]
    again = succession(list(changes.values()), "third", "ES256", now, SCHEDULE)
    assert again.successor.generation == 2


def test_a_revoked_retired_or_unknown_key_is_not_found() -> None:
    old, new = rotated()
    retired = T0 + LIFETIME + MAX_AGE + LIFETIME
    for kid, now in (("first", retired), ("nope", T0)):
        with pytest.raises(SigningKeyNotFound):
            revocation([old, new], kid, now, LIFETIME)
