"""The relying party's own rules (domain/passkey.py), and its checks on the `webauthn` package
(adapters/webauthn_relying_party.py) against what the software authenticator of testkit makes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from webauthn.helpers import parse_cbor

from adapters.webauthn_relying_party import RelyingPartyIdentity, WebAuthnRelyingParty
from application.ports.passkeys import CredentialRejected, PasskeyHolder
from domain.errors import InvalidField
from domain.passkey import (
    CHALLENGE_LIFETIME,
    ChallengePurpose,
    counter_moves_on,
    issue_challenge,
    passkey_name,
    registration_allowed,
    signin_allowed,
    user_handle,
)
from testkit.webauthn_authenticator import SoftwareAuthenticator, b64url, cbor

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ORIGIN = "http://localhost:8081"
RELYING_PARTY = WebAuthnRelyingParty(RelyingPartyIdentity("localhost", "Authgate", (ORIGIN,)))


@pytest.mark.parametrize(
    ("stored", "presented", "moves_on"),
    [
        (0, 0, True),  # an authenticator that keeps no counter
        (0, 1, True),
        (5, 6, True),
        (5, 100, True),
        (5, 5, False),  # replayed, or a clone used in between
        (5, 4, False),
        (5, 0, False),  # a counter that was kept, then not
    ],
)
def test_the_signature_counter_must_move_on_unless_it_is_never_kept(
    stored: int, presented: int, moves_on: bool
) -> None:
    assert counter_moves_on(stored, presented) is moves_on


def test_a_registration_challenge_serves_its_own_user_only_and_only_in_time() -> None:
    _, record = issue_challenge(ChallengePurpose.REGISTRATION, 7, NOW)

    assert registration_allowed(record, 7, NOW + CHALLENGE_LIFETIME - timedelta(seconds=1))
    assert not registration_allowed(record, 8, NOW)
    assert not registration_allowed(record, 7, NOW + CHALLENGE_LIFETIME)
    assert not signin_allowed(record, 7, NOW)


def test_a_username_less_challenge_lets_any_user_sign_in_but_not_register() -> None:
    _, record = issue_challenge(ChallengePurpose.SIGNIN, None, NOW)

    assert signin_allowed(record, 7, NOW)
    assert signin_allowed(record, 8, NOW)
    assert not signin_allowed(record, 7, NOW + CHALLENGE_LIFETIME)
    assert not registration_allowed(record, 7, NOW)


def test_a_challenge_asked_for_with_a_username_lets_only_that_account_in() -> None:
    _, named = issue_challenge(ChallengePurpose.SIGNIN_OF_USER, 7, NOW)
    _, unknown_name = issue_challenge(ChallengePurpose.SIGNIN_OF_USER, None, NOW)

    assert signin_allowed(named, 7, NOW)
    assert not signin_allowed(named, 8, NOW)
    assert not signin_allowed(unknown_name, 7, NOW)


def test_challenges_are_random_and_stored_as_digests_only() -> None:
    first, record = issue_challenge(ChallengePurpose.SIGNIN, None, NOW)
    second, _ = issue_challenge(ChallengePurpose.SIGNIN, None, NOW)

    assert len(first) == 32
    assert first != second
    assert first.hex() not in record.digest
    assert record.expires_at == NOW + timedelta(minutes=5)


def test_a_passkey_name_is_trimmed_defaulted_and_bounded() -> None:
    assert passkey_name("  laptop ") == "laptop"
    assert passkey_name(None) == "Passkey"
    assert passkey_name("   ") == "Passkey"
    with pytest.raises(InvalidField, match="name"):
        passkey_name("x" * 65)
    with pytest.raises(InvalidField, match="name"):
        passkey_name("line\nbreak")


@pytest.mark.parametrize(
    "value",
    [0, 23, 24, 255, 256, 65536, 2**32, -1, -25, -257, b"", b"\x00" * 300, "", "é" * 30],
)
def test_the_software_authenticators_cbor_reads_back_the_same(value: Any) -> None:
    assert parse_cbor(cbor(value)) == value


def test_the_software_authenticators_cbor_keeps_maps_and_arrays() -> None:
    value = {1: 2, 3: -7, -1: 1, "fmt": "none", "attStmt": {}, "list": [True, False, b"x"]}

    assert parse_cbor(cbor(value)) == value


def _registered() -> tuple[SoftwareAuthenticator, bytes]:
    authenticator = SoftwareAuthenticator(ORIGIN)
    challenge = b"c" * 32
    options = RELYING_PARTY.creation_options(PasskeyHolder(7, "alice"), challenge, [])
    attested = RELYING_PARTY.verify_registration(authenticator.create(options), challenge)
    return authenticator, attested.public_key


def test_a_registration_verifies_and_gives_the_key_and_counter() -> None:
    authenticator = SoftwareAuthenticator(ORIGIN)
    challenge = b"c" * 32
    options = RELYING_PARTY.creation_options(PasskeyHolder(7, "alice"), challenge, [b"old"])
    credential = authenticator.create(options)

    assert RELYING_PARTY.challenge_of(credential) == challenge
    attested = RELYING_PARTY.verify_registration(credential, challenge)

    assert attested.credential_id == authenticator.credentials[0].credential_id
    assert RELYING_PARTY.credential_id_of(credential) == attested.credential_id
    assert attested.sign_count == 0
    assert attested.transports == ("internal",)
    assert attested.user_verified
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["excludeCredentials"] == [{"id": b64url(b"old"), "type": "public-key"}]
    assert options["user"]["id"] == b64url(user_handle(7))


@pytest.mark.parametrize(
    "lie",
    [
        {"origin": "http://evil.example:8081"},
        {"rp_id": "evil.example"},
    ],
)
def test_a_registration_from_another_origin_or_for_another_relying_party_is_rejected(
    lie: dict[str, str],
) -> None:
    challenge = b"c" * 32
    options = RELYING_PARTY.creation_options(PasskeyHolder(7, "alice"), challenge, [])
    credential = SoftwareAuthenticator(ORIGIN).create(options, **lie)

    with pytest.raises(CredentialRejected):
        RELYING_PARTY.verify_registration(credential, challenge)


def test_a_registration_for_another_challenge_is_rejected() -> None:
    options = RELYING_PARTY.creation_options(PasskeyHolder(7, "alice"), b"c" * 32, [])
    credential = SoftwareAuthenticator(ORIGIN).create(options)

    with pytest.raises(CredentialRejected):
        RELYING_PARTY.verify_registration(credential, b"d" * 32)


def test_an_assertion_verifies_and_reports_the_counter_without_judging_it() -> None:
    authenticator, public_key = _registered()
    challenge = b"s" * 32
    options = RELYING_PARTY.request_options(challenge)

    first = RELYING_PARTY.verify_authentication(authenticator.get(options), challenge, public_key)
    backwards = RELYING_PARTY.verify_authentication(
        authenticator.get(options, sign_count=0), challenge, public_key
    )

    assert first.sign_count == 1
    assert first.user_verified
    assert first.user_handle == user_handle(7)
    assert backwards.sign_count == 0
    assert options["allowCredentials"] == []


@pytest.mark.parametrize(
    "lie",
    [
        {"origin": "http://evil.example:8081"},
        {"rp_id": "evil.example"},
        {"bad_signature": True},
    ],
)
def test_an_assertion_from_elsewhere_or_badly_signed_is_rejected(lie: dict[str, Any]) -> None:
    authenticator, public_key = _registered()
    challenge = b"s" * 32
    options = RELYING_PARTY.request_options(challenge)
    if "rp_id" in lie:
        authenticator.credentials[0].rp_id = lie["rp_id"]

    with pytest.raises(CredentialRejected):
        RELYING_PARTY.verify_authentication(
            authenticator.get(options, **lie), challenge, public_key
        )


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"rawId": 5, "response": "nothing"},
        {"id": "x", "rawId": "!!", "response": {"clientDataJSON": "not base64 json"}},
    ],
)
def test_malformed_credentials_are_rejected_never_raised(credential: dict[str, Any]) -> None:
    assert RELYING_PARTY.challenge_of(credential) is None
    with pytest.raises(CredentialRejected):
        RELYING_PARTY.verify_registration(credential, b"c" * 32)
    with pytest.raises(CredentialRejected):
        RELYING_PARTY.verify_authentication(credential, b"c" * 32, b"key")
