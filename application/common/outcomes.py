"""What the use cases report as they decide, for operators to count (the Metrics port). Each is
a small closed set, so that a metric labelled with it stays bounded."""

from enum import Enum, StrEnum


class SigninOutcome(Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    """Unknown user or wrong password."""
    THROTTLED = "throttled"
    """Refused by a rate limit before any password was checked."""
    DISABLED = "disabled"
    """The right password for a disabled account."""
    UNVERIFIED = "unverified"
    """The right password, but the address is not verified and signin requires it."""


class RefreshOutcome(Enum):
    ROTATE = "rotate"
    """The live token was exchanged for its successor."""
    KEEP = "keep"
    """Rotation is off: the same token was answered."""
    RETRY = "retry"
    """A token retired within the grace window was answered with its live successor."""
    REUSE = "reuse"
    """A token retired outside the window: its session was revoked."""
    REFUSED = "refused"
    """Unknown, expired or ended."""


class UnavailableCause(StrEnum):
    """Why a request was answered 503 (`TemporarilyUnavailable.kind`)."""

    TIMEOUT = "timeout"
    """The database gave no answer within its deadline."""
    POOL = "pool"
    """No database connection came free within the deadline."""
    UNREACHABLE = "unreachable"
    """The database refused, went away, or is not ready."""
    ERROR = "error"
    """Any other database failure."""
    CONFLICT = "conflict"
    """Transient conflicts past every retry."""
    REDIS = "redis"
    """The rate limits' Redis did not answer."""
    HASHING = "hashing"
    """No password-hashing thread came free in time."""
    SIGNING_KEY = "signing_key"
    """The key that signs now was sealed under another JWT_SECRET: this server cannot sign
    until the operator sets the secret it was made with, or rotates and revokes it."""


class RateLimitName(StrEnum):
    """The rate limits (application/shared/rate_limits.py): each prefixes its storage keys, labels
    the throttled-attempts metric, and names its settings (`<NAME>_LIMIT`, `<NAME>_WINDOW`)."""

    SIGNIN_ACCOUNT_ADDRESS = "signin_account_address"
    SIGNIN_ADDRESS = "signin_address"
    SIGNIN_ACCOUNT = "signin_account"
    SIGNUP_ADDRESS = "signup_address"
    REFRESH_SESSION = "refresh_session"
    REFRESH_ADDRESS = "refresh_address"
    RESET_EMAIL = "reset_email"
    RESET_ADDRESS = "reset_address"
    RESEND_USER = "resend_user"
    RESEND_USER_HOUR = "resend_user_hour"
    PASSKEY_OPTIONS_ADDRESS = "passkey_options_address"
