from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    refresh_token_lifetime: timedelta = timedelta(days=1)
    session_lifetime: timedelta = timedelta(days=7)
    """Absolute: no refresh extends a session beyond this."""
    reuse_grace: timedelta = timedelta(seconds=5)
    """How long a just-rotated refresh token may still be retried by a client that lost the
    answer."""
