from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long sessions and their tokens live, and how refresh tokens are rotated. The values
    come from the settings, which declare their defaults."""

    refresh_token_lifetime: timedelta
    session_lifetime: timedelta
    """Absolute: no refresh extends a session beyond this."""
    reuse_grace: timedelta
    """How long a just-rotated refresh token may still be presented by a client that lost the
    answer, or by a second tab refreshing at the same moment: it gets the same successor."""
    rotation: bool
    """False: a refresh token stays the same until it expires or its session ends (the original's
    behaviour, for clients that keep their first refresh token); reuse cannot be detected then."""


@dataclass(frozen=True, slots=True)
class SigninRules:
    """What every signin checks after the credential, a password's or a passkey's."""

    require_verified_email: bool
    """Whether signin needs a verified address (REQUIRE_VERIFIED_EMAIL)."""
