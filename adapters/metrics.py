from collections import Counter

from application.outcomes import RefreshOutcome, SigninOutcome
from application.ports import Metrics


class CountingMetrics(Metrics):
    """Counts in this process, by name and label: a fake for tests that assert what a use case
    reported. The service itself reports through PrometheusMetrics."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def signin(self, outcome: SigninOutcome) -> None:
        self.counts["signin", outcome.value] += 1

    def refresh(self, outcome: RefreshOutcome) -> None:
        self.counts["refresh", outcome.value] += 1

    def throttled(self, limit: str) -> None:
        self.counts["throttled", limit] += 1

    def hashing_wait(self, seconds: float) -> None:
        self.counts["hashing_wait", "observed"] += 1

    def unavailable(self, kind: str) -> None:
        self.counts["unavailable", kind] += 1
