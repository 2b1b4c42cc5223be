import math
import string
from datetime import timedelta

import jwt
import pytest

from adapters.jwt_tokens import JwtAccessTokens
from application.common.errors import AccessTokenExpired, AccessTokenInvalid
from tests.fakes import FakeClock
from tests.tokens import OTHER_SECRET, TEST_SECRET, claims_for, signed, unsigned, with_payload
from tests.unit.authgate import ACCESS_TOKEN_LIFETIME


def test_secret_under_32_bytes_is_refused(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtAccessTokens(b"x" * 31, ACCESS_TOKEN_LIFETIME, clock)


def test_secret_of_32_bytes_is_accepted(clock: FakeClock) -> None:
    tokens = JwtAccessTokens(b"x" * 32, ACCESS_TOKEN_LIFETIME, clock)
    assert tokens.verify(tokens.issue(1, "session-1", clock.now()).value).user_id == 1


def test_issued_token_verifies_to_its_user_and_session(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    issued = tokens.issue(42, "session-1", clock.now())
    claims = tokens.verify(issued.value)
    assert (claims.user_id, claims.session_id) == (42, "session-1")
    assert issued.expires_in == ACCESS_TOKEN_LIFETIME.total_seconds()


def test_issued_token_is_hs256_with_the_contract_claims(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    issued = tokens.issue(42, "session-1", clock.now())
    assert jwt.get_unverified_header(issued.value)["alg"] == "HS256"
    payload = jwt.decode(issued.value, TEST_SECRET, algorithms=["HS256"])
    assert set(payload) == {"sub", "sid", "iat", "exp", "jti"}
    assert payload["sub"] == "42"
    assert payload["iat"] == int(clock.now().timestamp())
    assert payload["exp"] == payload["iat"] + ACCESS_TOKEN_LIFETIME.total_seconds()


def test_every_issued_token_has_its_own_id(tokens: JwtAccessTokens, clock: FakeClock) -> None:
    first = tokens.issue(1, "s", clock.now())
    second = tokens.issue(1, "s", clock.now())
    assert (
        jwt.decode(first.value, options={"verify_signature": False})["jti"]
        != jwt.decode(second.value, options={"verify_signature": False})["jti"]
    )


def test_expired_token_raises_access_token_expired(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    expired = tokens.issue(1, "s", clock.now() - timedelta(hours=3))
    with pytest.raises(AccessTokenExpired):
        tokens.verify(expired.value)


def test_expired_token_is_accepted_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    expired = tokens.issue(7, "s", clock.now() - timedelta(hours=3))
    claims = tokens.verify(expired.value, allow_expired=True)
    assert (claims.user_id, claims.session_id) == (7, "s")


@pytest.mark.parametrize(
    "secret_or_algorithm", [(OTHER_SECRET, "HS256"), (TEST_SECRET, "HS384")], ids=str
)
def test_expired_token_with_a_bad_signature_is_invalid_even_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock, secret_or_algorithm: tuple[bytes, str]
) -> None:
    secret, algorithm = secret_or_algorithm
    claims = claims_for(7, "s", clock.now() - timedelta(hours=3))
    with pytest.raises(AccessTokenInvalid):
        tokens.verify(signed(claims, secret, algorithm), allow_expired=True)


def test_tampered_or_unsigned_expired_token_is_invalid_even_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    claims = claims_for(7, "s", clock.now() - timedelta(hours=3))
    genuine = signed(claims)
    with pytest.raises(AccessTokenInvalid):
        tokens.verify(with_payload(genuine, {**claims, "sub": "8"}), allow_expired=True)
    with pytest.raises(AccessTokenInvalid):
        tokens.verify(unsigned(claims), allow_expired=True)


def test_token_without_exp_is_invalid_even_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    claims = claims_for(7, "s", clock.now())
    del claims["exp"]
    with pytest.raises(AccessTokenInvalid):
        tokens.verify(signed(claims), allow_expired=True)


def test_token_of_another_issuer_instance_with_the_same_secret_verifies(
    clock: FakeClock,
) -> None:
    """Several workers share the secret: any of them verifies what another issued."""
    issued = JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock).issue(3, "s", clock.now())
    assert (
        JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock).verify(issued.value).user_id == 3
    )
    with pytest.raises(AccessTokenInvalid):
        JwtAccessTokens(OTHER_SECRET, ACCESS_TOKEN_LIFETIME, clock).verify(issued.value)


def test_a_token_verified_before_is_refused_once_it_expires(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    issued = tokens.issue(7, "session-1", clock.now())
    assert tokens.verify(issued.value).user_id == 7  # now remembered as verified

    clock.advance(ACCESS_TOKEN_LIFETIME)

    with pytest.raises(AccessTokenExpired):
        tokens.verify(issued.value)
    assert tokens.verify(issued.value, allow_expired=True).user_id == 7


def test_a_refused_token_is_refused_every_time(tokens: JwtAccessTokens, clock: FakeClock) -> None:
    forged = signed(claims_for(7, "session-1", clock.now()), OTHER_SECRET)

    for _ in range(3):
        with pytest.raises(AccessTokenInvalid):
            tokens.verify(forged)


def _genuine_with_signature_holding(tokens: JwtAccessTokens, clock: FakeClock, char: str) -> str:
    """A genuine token whose signature spells `char` somewhere (it varies with the jti)."""
    for _ in range(1000):
        token = tokens.issue(7, "session-1", clock.now()).value
        if char in token.rsplit(".", 1)[1]:
            return token
    raise AssertionError(f"no signature with {char!r} in a thousand tokens")


def _respelled(token: str, old: str, new: str) -> str:
    head, signature = token.rsplit(".", 1)
    return f"{head}.{signature.replace(old, new)}"


def _with_stray_bits(token: str) -> str:
    """The same signature bytes, spelled with other values in the last character's unused bits
    (a 32-byte signature leaves 2 of its 43 characters' 258 bits unused)."""
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    head, signature = token.rsplit(".", 1)
    last = alphabet.index(signature[-1])
    return f"{head}.{signature[:-1]}{alphabet[last ^ 0b01]}"


def test_only_the_canonical_spelling_of_a_genuine_token_is_accepted(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    dashed = _genuine_with_signature_holding(tokens, clock, "-")
    underscored = _genuine_with_signature_holding(tokens, clock, "_")
    respellings = {
        "padding appended": dashed + "=",
        "'+' for '-'": _respelled(dashed, "-", "+"),
        "'/' for '_'": _respelled(underscored, "_", "/"),
        "stray bits in the last character": _with_stray_bits(dashed),
    }

    assert tokens.verify(dashed).user_id == 7
    assert [name for name, token in respellings.items() if _accepted(tokens, token)] == []


def _accepted(tokens: JwtAccessTokens, token: str) -> bool:
    try:
        tokens.verify(token)
    except AccessTokenInvalid:
        return False
    return True


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, 1e20, 10**20, -1, 1_900_000_000.5, "1900000000", True, None],
    ids=repr,
)
def test_a_time_that_is_not_a_whole_second_within_range_is_refused(
    tokens: JwtAccessTokens, clock: FakeClock, claim: str, value: object
) -> None:
    claims = {**claims_for(7, "session-1", clock.now()), claim: value}

    with pytest.raises(AccessTokenInvalid):
        tokens.verify(signed(claims))
    with pytest.raises(AccessTokenInvalid):
        tokens.verify(signed(claims), allow_expired=True)


def test_a_genuine_token_over_1024_characters_is_refused(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    claims = claims_for(7, "session-1", clock.now())
    short = signed({**claims, "pad": ""})
    long = signed({**claims, "pad": "x" * 1024})

    assert tokens.verify(short).user_id == 7
    with pytest.raises(AccessTokenInvalid):
        tokens.verify(long)
