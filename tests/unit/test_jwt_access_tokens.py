"""The token adapter, on both algorithms: ES256 on a key ring (the default) and HS256 on the
secret. Forgeries are signed as an attacker would; genuine hand-made tokens with `sign`, which
signs as the service does (its key, or its secret)."""

import base64
import hashlib
import hmac
import math
import string
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.jwt_tokens import JwtAccessTokens
from adapters.key_ring import KeyRing, KeySource
from adapters.signing_keys import EcSigningKeyFactory, KeySealer, public_key_of
from application.common.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    TemporarilyUnavailable,
)
from application.common.outcomes import UnavailableCause
from application.ports.signing_keys import StoredSigningKey
from domain.signing_keys import first_key
from tests.fakes import FakeClock
from tests.tokens import (
    AUDIENCE,
    ISSUER,
    OTHER_SECRET,
    TEST_SECRET,
    Signer,
    base64url_json,
    claims_for,
    es256_signed,
    signed,
    unsigned,
    with_payload,
)
from tests.unit.authgate import ACCESS_TOKEN_LIFETIME


def new_key(clock: FakeClock) -> StoredSigningKey:
    kid, jwk, sealed = EcSigningKeyFactory(TEST_SECRET).generate()
    return StoredSigningKey(first_key(kid, "ES256", clock.now(), []), jwk, sealed)


class Keys(KeySource):
    """What storage holds, and how often the ring asked."""

    def __init__(self, *keys: StoredSigningKey) -> None:
        self.keys = list(keys)
        self.reads = 0

    async def load(self) -> Sequence[StoredSigningKey]:
        self.reads += 1
        return list(self.keys)


@pytest.fixture(params=["ES256", "HS256"])
def algorithm(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def key(clock: FakeClock) -> StoredSigningKey:
    return new_key(clock)


@pytest.fixture
def stored(key: StoredSigningKey) -> Keys:
    return Keys(key)


@pytest.fixture
def tokens(algorithm: str, clock: FakeClock, stored: Keys) -> JwtAccessTokens:
    ring = KeyRing(stored, KeySealer(TEST_SECRET), clock)
    return JwtAccessTokens(
        TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock, ring=ring if algorithm == "ES256" else None
    )


def private_key_of(key: StoredSigningKey) -> ec.EllipticCurvePrivateKey:
    return KeySealer(TEST_SECRET).open(key.key.kid, key.sealed_private_key)


@pytest.fixture
def sign(algorithm: str, key: StoredSigningKey) -> Signer:
    if algorithm == "HS256":
        return signed
    private_key = private_key_of(key)
    return lambda claims: es256_signed(claims, private_key, key.key.kid)


def test_secret_under_32_bytes_is_refused(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtAccessTokens(b"x" * 31, ACCESS_TOKEN_LIFETIME, clock)


async def test_secret_of_32_bytes_is_accepted(clock: FakeClock) -> None:
    tokens = JwtAccessTokens(b"x" * 32, ACCESS_TOKEN_LIFETIME, clock)
    assert (await tokens.verify((await tokens.issue(1, "s-1", clock.now())).value)).user_id == 1


async def test_issued_token_verifies_to_its_user_and_session(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    issued = await tokens.issue(42, "session-1", clock.now())
    claims = await tokens.verify(issued.value)
    assert (claims.user_id, claims.session_id) == (42, "session-1")
    assert (claims.issuer, claims.audience) == (ISSUER, AUDIENCE)
    assert issued.expires_in == ACCESS_TOKEN_LIFETIME.total_seconds()


async def test_an_es256_token_names_its_key_and_carries_the_contract_claims(
    clock: FakeClock, stored: Keys, key: StoredSigningKey
) -> None:
    ring = KeyRing(stored, KeySealer(TEST_SECRET), clock)
    issued = await JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock, ring=ring).issue(
        42, "session-1", clock.now()
    )

    header = jwt.get_unverified_header(issued.value)
    assert (header["alg"], header["kid"]) == ("ES256", key.key.kid)
    payload = jwt.decode(
        issued.value,
        public_key_of(key.public_jwk),
        algorithms=["ES256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    assert set(payload) == {"sub", "sid", "iat", "exp", "jti", "iss", "aud"}
    assert payload["sub"] == "42"
    assert payload["iat"] == int(clock.now().timestamp())
    assert payload["exp"] == payload["iat"] + ACCESS_TOKEN_LIFETIME.total_seconds()


async def test_a_key_sealed_under_another_secret_is_named_and_signing_answers_503(
    clock: FakeClock, stored: Keys, key: StoredSigningKey
) -> None:
    ring = KeyRing(stored, KeySealer(b"another-secret-of-at-least-32-bytes!!"), clock)
    await ring.read()

    assert ring.unreadable() == [key.key.kid]
    with pytest.raises(TemporarilyUnavailable) as refused:
        await JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock, ring=ring).issue(
            42, "session-1", clock.now()
        )
    assert refused.value.kind == UnavailableCause.SIGNING_KEY
    assert key.key.kid in str(refused.value)
    # The key set it publishes stays readable: tokens it signed before still verify.
    assert ring.public_key(key.key.kid) is not None


async def test_an_hs256_token_carries_the_contract_claims(clock: FakeClock) -> None:
    issued = await JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock).issue(
        42, "session-1", clock.now()
    )

    assert jwt.get_unverified_header(issued.value)["alg"] == "HS256"
    payload = jwt.decode(
        issued.value, TEST_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
    )
    assert set(payload) == {"sub", "sid", "iat", "exp", "jti", "iss", "aud"}


async def test_every_issued_token_has_its_own_id(tokens: JwtAccessTokens, clock: FakeClock) -> None:
    first = await tokens.issue(1, "s", clock.now())
    second = await tokens.issue(1, "s", clock.now())
    assert (
        jwt.decode(first.value, options={"verify_signature": False})["jti"]
        != jwt.decode(second.value, options={"verify_signature": False})["jti"]
    )


async def test_expired_token_raises_access_token_expired(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    expired = await tokens.issue(1, "s", clock.now() - timedelta(hours=3))
    with pytest.raises(AccessTokenExpired):
        await tokens.verify(expired.value)


async def test_expired_token_is_accepted_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    expired = await tokens.issue(7, "s", clock.now() - timedelta(hours=3))
    claims = await tokens.verify(expired.value, allow_expired=True)
    assert (claims.user_id, claims.session_id) == (7, "s")


@pytest.mark.parametrize(
    "secret_or_algorithm", [(OTHER_SECRET, "HS256"), (TEST_SECRET, "HS384")], ids=str
)
async def test_expired_token_with_a_bad_signature_is_invalid_even_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock, secret_or_algorithm: tuple[bytes, str]
) -> None:
    secret, algorithm = secret_or_algorithm
    claims = claims_for(7, "s", clock.now() - timedelta(hours=3))
    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(signed(claims, secret, algorithm), allow_expired=True)


async def test_tampered_or_unsigned_expired_token_is_invalid_even_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock, sign: Signer
) -> None:
    claims = claims_for(7, "s", clock.now() - timedelta(hours=3))
    genuine = sign(claims)
    assert (await tokens.verify(genuine, allow_expired=True)).user_id == 7
    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(with_payload(genuine, {**claims, "sub": "8"}), allow_expired=True)
    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(unsigned(claims), allow_expired=True)


@pytest.mark.parametrize("claim", ["exp", "iss", "aud"])
async def test_token_without_a_required_claim_is_invalid_even_when_expiry_is_allowed(
    tokens: JwtAccessTokens, clock: FakeClock, sign: Signer, claim: str
) -> None:
    claims = claims_for(7, "s", clock.now())
    del claims[claim]
    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(sign(claims), allow_expired=True)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("iss", "http://evil.example"), ("aud", "another-service"), ("aud", ["x", "y"])],
)
async def test_a_token_for_another_issuer_or_audience_is_invalid(
    tokens: JwtAccessTokens, clock: FakeClock, sign: Signer, claim: str, value: object
) -> None:
    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(sign({**claims_for(7, "s", clock.now()), claim: value}))


async def test_token_of_another_instance_with_the_same_keys_verifies(
    clock: FakeClock, algorithm: str, key: StoredSigningKey
) -> None:
    """Several workers and servers share the secret and the stored keys: any of them verifies
    what another issued."""

    def instance(secret: bytes, keys: Keys) -> JwtAccessTokens:
        ring = KeyRing(keys, KeySealer(secret), clock) if algorithm == "ES256" else None
        return JwtAccessTokens(secret, ACCESS_TOKEN_LIFETIME, clock, ring=ring)

    issued = await instance(TEST_SECRET, Keys(key)).issue(3, "s", clock.now())
    assert (await instance(TEST_SECRET, Keys(key)).verify(issued.value)).user_id == 3
    with pytest.raises(AccessTokenInvalid):
        await instance(OTHER_SECRET, Keys(new_key(clock))).verify(issued.value)


async def test_a_token_verified_before_is_refused_once_it_expires(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    issued = await tokens.issue(7, "session-1", clock.now())
    assert (await tokens.verify(issued.value)).user_id == 7  # now remembered as verified

    clock.advance(ACCESS_TOKEN_LIFETIME)

    with pytest.raises(AccessTokenExpired):
        await tokens.verify(issued.value)
    assert (await tokens.verify(issued.value, allow_expired=True)).user_id == 7


async def test_a_refused_token_is_refused_every_time(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    forged = signed(claims_for(7, "session-1", clock.now()), OTHER_SECRET)

    for _ in range(3):
        with pytest.raises(AccessTokenInvalid):
            await tokens.verify(forged)


async def _genuine_with_signature_holding(
    tokens: JwtAccessTokens, clock: FakeClock, char: str
) -> str:
    """A genuine token whose signature spells `char` somewhere (it varies with the jti)."""
    for _ in range(1000):
        token = (await tokens.issue(7, "session-1", clock.now())).value
        if char in token.rsplit(".", 1)[1]:
            return token
    raise AssertionError(f"no signature with {char!r} in a thousand tokens")


def _respelled(token: str, old: str, new: str) -> str:
    head, signature = token.rsplit(".", 1)
    return f"{head}.{signature.replace(old, new)}"


def _with_stray_bits(token: str) -> str:
    """The same signature bytes, spelled with other values in the last character's unused bits
    (a 32-byte HS256 signature leaves 2 of its 43 characters' 258 bits unused, a 64-byte ES256
    one 4 of 516)."""
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    head, signature = token.rsplit(".", 1)
    last = alphabet.index(signature[-1])
    return f"{head}.{signature[:-1]}{alphabet[last ^ 0b01]}"


async def test_only_the_canonical_spelling_of_a_genuine_token_is_accepted(
    tokens: JwtAccessTokens, clock: FakeClock
) -> None:
    dashed = await _genuine_with_signature_holding(tokens, clock, "-")
    underscored = await _genuine_with_signature_holding(tokens, clock, "_")
    respellings = {
        "padding appended": dashed + "=",
        "'+' for '-'": _respelled(dashed, "-", "+"),
        "'/' for '_'": _respelled(underscored, "_", "/"),
        "stray bits in the last character": _with_stray_bits(dashed),
    }

    assert (await tokens.verify(dashed)).user_id == 7
    assert [name for name, token in respellings.items() if await _accepted(tokens, token)] == []


async def _accepted(tokens: JwtAccessTokens, token: str) -> bool:
    try:
        await tokens.verify(token)
    except AccessTokenInvalid:
        return False
    return True


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, 1e20, 10**20, -1, 1_900_000_000.5, "1900000000", True, None],
    ids=repr,
)
async def test_a_time_that_is_not_a_whole_second_within_range_is_refused(
    tokens: JwtAccessTokens, clock: FakeClock, sign: Signer, claim: str, value: object
) -> None:
    claims = {**claims_for(7, "session-1", clock.now()), claim: value}

    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(sign(claims))
    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(sign(claims), allow_expired=True)


async def test_a_genuine_token_over_1024_characters_is_refused(
    tokens: JwtAccessTokens, clock: FakeClock, sign: Signer
) -> None:
    claims = claims_for(7, "session-1", clock.now())
    short = sign({**claims, "pad": ""})
    long = sign({**claims, "pad": "x" * 1024})

    assert (await tokens.verify(short)).user_id == 7
    with pytest.raises(AccessTokenInvalid):
        await tokens.verify(long)


# ES256 alone: the keys, and the algorithm confusions an asymmetric key invites.


@pytest.fixture
def es256(clock: FakeClock, stored: Keys) -> JwtAccessTokens:
    ring = KeyRing(stored, KeySealer(TEST_SECRET), clock)
    return JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock, ring=ring)


async def test_hs256_tokens_are_refused_when_keys_sign_even_with_the_secret_or_the_public_key(
    es256: JwtAccessTokens, clock: FakeClock, key: StoredSigningKey
) -> None:
    claims = claims_for(7, "s", clock.now())
    public_pem = public_key_of(key.public_jwk).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The classic confusion: HMAC keyed with the public key, which anyone can read.
    signing_input = (
        f"{base64url_json({'alg': 'HS256', 'typ': 'JWT', 'kid': key.key.kid})}."
        f"{base64url_json(claims)}"
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with_public_key = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    for forged in (signed(claims), with_public_key):
        with pytest.raises(AccessTokenInvalid):
            await es256.verify(forged)


async def test_a_token_signed_by_another_key_under_a_known_kid_is_invalid(
    es256: JwtAccessTokens, clock: FakeClock, key: StoredSigningKey
) -> None:
    stranger = private_key_of(new_key(clock))
    with pytest.raises(AccessTokenInvalid):
        await es256.verify(es256_signed(claims_for(7, "s", clock.now()), stranger, key.key.kid))


@pytest.mark.parametrize("kid", [None, "", "short", "k" * 44, "+" * 43])
async def test_a_token_without_a_well_formed_kid_is_invalid(
    es256: JwtAccessTokens, clock: FakeClock, key: StoredSigningKey, kid: object
) -> None:
    claims = claims_for(7, "s", clock.now())
    headers = {} if kid is None else {"kid": kid}
    token = jwt.encode(claims, private_key_of(key), algorithm="ES256", headers=headers)
    with pytest.raises(AccessTokenInvalid):
        await es256.verify(token)


async def test_a_key_made_since_the_last_read_is_learned_from_its_first_token(
    es256: JwtAccessTokens, clock: FakeClock, stored: Keys
) -> None:
    await es256.issue(1, "s", clock.now())  # the ring has read the one key
    newer = new_key(clock)
    stored.keys.append(newer)
    token = es256_signed(claims_for(7, "s", clock.now()), private_key_of(newer), newer.key.kid)
    clock.advance(timedelta(seconds=1))

    assert (await es256.verify(token)).key_id == newer.key.kid


async def test_made_up_kids_make_the_ring_read_storage_at_most_every_tenth_of_a_second(
    es256: JwtAccessTokens, clock: FakeClock, stored: Keys
) -> None:
    await es256.issue(1, "s", clock.now())
    reads = stored.reads
    clock.advance(timedelta(milliseconds=100))
    for _ in range(50):
        unknown = new_key(clock)
        token = es256_signed(
            claims_for(7, "s", clock.now()), private_key_of(unknown), unknown.key.kid
        )
        with pytest.raises(AccessTokenInvalid):
            await es256.verify(token)

    assert stored.reads == reads + 1


async def test_the_ring_signs_with_the_next_key_from_its_moment_and_a_revoked_key_verifies_nothing(
    es256: JwtAccessTokens, clock: FakeClock, stored: Keys, key: StoredSigningKey
) -> None:
    first = await es256.issue(1, "s", clock.now())
    following = new_key(clock)
    signs_from = clock.now() + timedelta(seconds=600)
    stored.keys = [
        replace(key, key=replace(key.key, signs_until=signs_from)),
        replace(following, key=replace(following.key, generation=2, signs_from=signs_from)),
    ]
    clock.advance(timedelta(seconds=599))
    before = await es256.issue(1, "s", clock.now())
    clock.advance(timedelta(seconds=1))
    after = await es256.issue(1, "s", clock.now())

    kids = [jwt.get_unverified_header(t.value)["kid"] for t in (first, before, after)]
    assert kids == [key.key.kid, key.key.kid, following.key.kid]

    stored.keys[0] = replace(stored.keys[0], key=replace(key.key, revoked_at=clock.now()))
    clock.advance(timedelta(seconds=1))
    await es256.issue(1, "s", clock.now())  # reads the set again
    fresh = es256_signed(claims_for(1, "s", clock.now()), private_key_of(key), key.key.kid)
    with pytest.raises(AccessTokenInvalid):
        await es256.verify(fresh)
