"""Counts of what the use cases decided, for operators."""

from typing import Protocol

from application.common.outcomes import RefreshOutcome, SigninOutcome


class Metrics(Protocol):
    """Counts of what the use cases decided, kept in one place for operators (GET /metrics)."""

    def signin(self, outcome: SigninOutcome) -> None: ...

    def refresh(self, outcome: RefreshOutcome) -> None: ...

    def throttled(self, limit: str) -> None:
        """An attempt refused by the named rate limit."""
        ...

    def hashing_wait(self, seconds: float) -> None:
        """How long a password hashing or verification waited for a free hashing thread (and,
        where the server's workers share them, for a hashing place)."""
        ...

    def unavailable(self, kind: str) -> None:
        """A request refused as temporarily unavailable (503), by `TemporarilyUnavailable.kind`:
        the database's timeout, pool, unreachable, error or conflict, or hashing."""
        ...
