"""What the use cases report as they decide, for operators to count (the Metrics port). Each is
a small closed set, so that a metric labelled with it stays bounded."""

from enum import Enum


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
