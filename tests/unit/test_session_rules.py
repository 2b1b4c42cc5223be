import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.session import (
    IssuedRefreshToken,
    RefreshToken,
    RefreshVerdict,
    Session,
    digest_of,
    judge_refresh,
    new_session_id,
)

START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(seconds=5)
SESSION_LIFETIME = timedelta(hours=1)
TOKEN_LIFETIME = timedelta(minutes=10)


def session(revoked_at: datetime | None = None) -> Session:
    return Session(
        id="s1",
        user_id=1,
        created_at=START,
        expires_at=START + SESSION_LIFETIME,
        revoked_at=revoked_at,
        generation=0,
    )


def token(issued_at: datetime = START, rotated_at: datetime | None = None) -> IssuedRefreshToken:
    return IssuedRefreshToken(
        digest="d",
        session_id="s1",
        issued_at=issued_at,
        expires_at=min(issued_at + TOKEN_LIFETIME, START + SESSION_LIFETIME),
        rotated_at=rotated_at,
    )


def test_current_token_of_a_live_session_is_rotated() -> None:
    now = START + timedelta(minutes=1)
    assert judge_refresh(token(), session(), now, GRACE) is RefreshVerdict.ROTATE


@pytest.mark.parametrize("since_rotation", [timedelta(0), timedelta(seconds=3), GRACE])
def test_token_retired_within_the_grace_window_is_a_retry(since_rotation: timedelta) -> None:
    rotated_at = START + timedelta(minutes=1)
    verdict = judge_refresh(
        token(rotated_at=rotated_at), session(), rotated_at + since_rotation, GRACE
    )
    assert verdict is RefreshVerdict.RETRY


def test_token_retired_longer_ago_than_the_grace_window_is_reuse() -> None:
    rotated_at = START + timedelta(minutes=1)
    now = rotated_at + GRACE + timedelta(microseconds=1)
    assert (
        judge_refresh(token(rotated_at=rotated_at), session(), now, GRACE) is RefreshVerdict.REUSED
    )


def test_token_at_its_expiry_is_expired() -> None:
    now = START + TOKEN_LIFETIME
    assert judge_refresh(token(), session(), now, GRACE) is RefreshVerdict.EXPIRED


def test_fresh_token_of_a_session_past_its_absolute_lifetime_is_expired() -> None:
    fresh = IssuedRefreshToken(
        digest="d",
        session_id="s1",
        issued_at=START + SESSION_LIFETIME - timedelta(minutes=1),
        expires_at=START + SESSION_LIFETIME + timedelta(hours=1),
        rotated_at=None,
    )
    now = START + SESSION_LIFETIME
    assert judge_refresh(fresh, session(), now, GRACE) is RefreshVerdict.EXPIRED


def test_token_of_a_revoked_session_has_ended() -> None:
    now = START + timedelta(minutes=1)
    assert judge_refresh(token(), session(revoked_at=now), now, GRACE) is RefreshVerdict.ENDED


def test_revocation_outranks_reuse_and_expiry() -> None:
    revoked = session(revoked_at=START + timedelta(minutes=1))
    retired = token(rotated_at=START + timedelta(minutes=1))
    assert (
        judge_refresh(retired, revoked, START + timedelta(hours=2), GRACE) is RefreshVerdict.ENDED
    )


def test_session_is_live_until_revoked_or_past_its_absolute_lifetime() -> None:
    assert session().is_live(START)
    assert not session().is_live(START + SESSION_LIFETIME)
    assert not session(revoked_at=START).is_live(START + timedelta(seconds=1))


def test_generated_refresh_token_carries_at_least_256_bits_in_urlsafe_characters() -> None:
    value = RefreshToken.generate().value
    assert len(value) >= 43
    assert re.fullmatch(r"[A-Za-z0-9_-]+", value)


def test_generated_refresh_tokens_differ() -> None:
    values = {RefreshToken.generate().value for _ in range(200)}
    assert len(values) == 200


def test_refresh_token_digest_is_the_sha256_hex_of_its_value() -> None:
    refresh_token = RefreshToken.generate()
    expected = hashlib.sha256(refresh_token.value.encode()).hexdigest()
    assert refresh_token.digest == digest_of(refresh_token.value) == expected
    assert re.fullmatch(r"[0-9a-f]{64}", refresh_token.digest)
    assert refresh_token.digest != refresh_token.value


def test_refresh_token_value_does_not_show_in_repr() -> None:
    refresh_token = RefreshToken.generate()
    assert refresh_token.value not in repr(refresh_token)


def test_session_ids_differ() -> None:
    assert len({new_session_id() for _ in range(200)}) == 200
