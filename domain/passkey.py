"""Passkeys: WebAuthn credentials a user registers, and the single-use challenges of the two
ceremonies that use them.

The rules here are the relying party's own; the cryptography and the authenticator's CBOR stay
in the adapter behind `application.ports.passkeys.RelyingParty`.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from domain.errors import InvalidField
from domain.session import digest_of

_CHALLENGE_BYTES = 32
NAME_MAX_LENGTH = 64
DEFAULT_NAME = "Passkey"
CHALLENGE_LIFETIME = timedelta(minutes=5)


class ChallengePurpose(Enum):
    REGISTRATION = "registration"
    """A new passkey for the signed-in user the challenge names."""
    SIGNIN = "signin"
    """A signin with any user's passkey (username-less)."""
    SIGNIN_OF_USER = "signin_of_user"
    """A signin with a passkey of the user the challenge names; of nobody's when the username
    asked for named no account, so that the options do not tell whether it does."""


@dataclass(frozen=True, slots=True)
class PasskeyChallenge:
    """The stored record of a challenge: its digest, never the challenge."""

    digest: str
    purpose: ChallengePurpose
    user_id: int | None
    expires_at: datetime


def issue_challenge(
    purpose: ChallengePurpose, user_id: int | None, now: datetime
) -> tuple[bytes, PasskeyChallenge]:
    """A new random challenge for the options, and the record to store."""
    challenge = secrets.token_bytes(_CHALLENGE_BYTES)
    return challenge, PasskeyChallenge(
        digest=challenge_digest(challenge),
        purpose=purpose,
        user_id=user_id,
        expires_at=now + CHALLENGE_LIFETIME,
    )


def challenge_digest(challenge: bytes) -> str:
    return digest_of(challenge.hex())


def registration_allowed(challenge: PasskeyChallenge, user_id: int, now: datetime) -> bool:
    """Whether a consumed challenge lets this user register a passkey now."""
    return (
        challenge.purpose is ChallengePurpose.REGISTRATION
        and challenge.user_id == user_id
        and now < challenge.expires_at
    )


def signin_allowed(challenge: PasskeyChallenge, user_id: int, now: datetime) -> bool:
    """Whether a consumed challenge lets a passkey of this user sign in now."""
    if now >= challenge.expires_at:
        return False
    if challenge.purpose is ChallengePurpose.SIGNIN:
        return True
    return challenge.purpose is ChallengePurpose.SIGNIN_OF_USER and challenge.user_id == user_id


def counter_moves_on(stored: int, presented: int) -> bool:
    """The signature counter rule (WebAuthn §6.1.1): an authenticator that keeps a counter
    presents a larger one each time; one that keeps none presents 0 every time, and that is
    fine. Anything else (the same or a smaller number, or 0 after a count) means two copies of
    the key may be in use: a cloned authenticator."""
    if stored == 0 and presented == 0:
        return True
    return presented > stored


def user_handle(user_id: int) -> bytes:
    """The WebAuthn user handle of an account: stable, so that an authenticator keeps one
    passkey per account and replaces it on a new registration; no name or address in it."""
    return str(user_id).encode()


def passkey_name(name: str | None) -> str:
    """What the user calls the passkey, as shown in their list."""
    if name is None or not name.strip():
        return DEFAULT_NAME
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH or not name.isprintable():
        raise InvalidField("name", f"must be at most {NAME_MAX_LENGTH} printable characters.")
    return name


@dataclass(frozen=True, slots=True)
class NewPasskey:
    user_id: int
    credential_id: bytes
    public_key: bytes
    """The COSE public key, as the authenticator gave it."""
    sign_count: int
    transports: tuple[str, ...]
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Passkey:
    id: int
    user_id: int
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    name: str
    created_at: datetime
    last_used_at: datetime | None
