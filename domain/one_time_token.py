"""Single-use tokens: a password reset link, an email verification link (sent by mail), and the
`mfaToken` that carries a signin from its password to its second factor.

The token is 256 random bits handed out once, in the mail; storage keeps only its SHA-256
digest. A token is bound to what it was issued against (the password hash for a reset, the
address for a verification): once that changes, by a password change, a completed reset or a
new address, the token no longer matches and is dead without any storage having to remember it.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from domain.session import digest_of
from domain.user import User

_TOKEN_BYTES = 32


class TokenPurpose(Enum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password
    EMAIL_VERIFICATION = "email_verification"
    SECOND_FACTOR_SIGNIN = "second_factor_signin"
    """The password step of a signin, waiting for its code: bound to the password it checked."""


@dataclass(frozen=True, slots=True)
class OneTimeToken:
    """The value that goes into the link. Never stored, never logged."""

    value: str = field(repr=False)

    @classmethod
    def generate(cls) -> "OneTimeToken":
        return cls(secrets.token_urlsafe(_TOKEN_BYTES))

    @property
    def digest(self) -> str:
        return digest_of(self.value)


@dataclass(frozen=True, slots=True)
class IssuedOneTimeToken:
    """The stored record of a token: its digest, never the token."""

    digest: str
    user_id: int
    purpose: TokenPurpose
    binding: str
    """A digest of what the token was issued against; see `binding_of`."""
    issued_at: datetime
    expires_at: datetime


def binding_of(user: User, purpose: TokenPurpose) -> str:
    """What a token of this purpose stays valid for: the password a reset would replace, or the
    address a verification would confirm. Kept as a digest, so the password hash is not copied."""
    if purpose in (TokenPurpose.PASSWORD_RESET, TokenPurpose.SECOND_FACTOR_SIGNIN):
        return digest_of(f"password:{user.password_hash.value}")
    return digest_of(f"email:{user.email.key}")


def issue_one_time_token(
    user: User, purpose: TokenPurpose, now: datetime, lifetime: timedelta
) -> tuple[OneTimeToken, IssuedOneTimeToken]:
    """A new token for the mail, and the record to store."""
    token = OneTimeToken.generate()
    record = IssuedOneTimeToken(
        digest=token.digest,
        user_id=user.id,
        purpose=purpose,
        binding=binding_of(user, purpose),
        issued_at=now,
        expires_at=now + lifetime,
    )
    return token, record


def honours(record: IssuedOneTimeToken, user: User, purpose: TokenPurpose, now: datetime) -> bool:
    """Whether the stored token may still be used, by this user, for this purpose, now."""
    return (
        record.purpose is purpose
        and record.user_id == user.id
        and now < record.expires_at
        and record.binding == binding_of(user, purpose)
    )
