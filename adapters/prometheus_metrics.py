"""The Metrics port on prometheus_client, and the HTTP layer's request metrics beside it.

prometheus_client keeps one set of metric families per process. Under several worker processes
it must run in its multiprocess mode: PROMETHEUS_MULTIPROC_DIR set before it is first imported
(`authgate serve` does that), each worker then writes its values to files there, and
`exposition()` adds up the files of every worker, so whichever worker answers GET /metrics
answers for all of them, and counts survive a worker's restart. Without the variable (tests, a
single process) the values live in this process.

Label values come from small closed sets only (outcomes, route templates, status codes,
methods), so the number of series stays bounded whatever clients send.
"""

import gc
import os
import threading
from bisect import bisect_left
from pathlib import Path
from time import perf_counter
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

from application.common.outcomes import (
    RateLimitName,
    RefreshOutcome,
    SigninOutcome,
    UnavailableCause,
)
from application.ports.metrics import Metrics

MULTIPROCESS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# A `_created` series beside every counter doubles the output and tells an operator nothing.
disable_created_metrics()  # type: ignore[no-untyped-call]

if _configured_directory := os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE):
    # The metrics below write their files there as they are made: a directory that an operator
    # named but did not create is made here, not left to stop the server with FileNotFoundError.
    Path(_configured_directory).mkdir(parents=True, exist_ok=True)
    # By default every increment asks os.getpid(), a system call, to notice a fork. The workers
    # are spawned (entrypoints/cli.py), so no process forks after this import: ask once.
    _PID = os.getpid()
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: _PID)  # type: ignore[no-untyped-call]

_SIGNINS = Counter("authgate_signins", "Signin attempts by outcome.", ["outcome"])
_REFRESHES = Counter("authgate_refreshes", "Refresh-token exchanges by outcome.", ["outcome"])
_THROTTLED = Counter("authgate_throttled", "Attempts refused by a rate limit.", ["limit"])
_UNAVAILABLE = Counter(
    "authgate_unavailable",
    "Requests answered 503, by cause: the database's timeout, pool, unreachable, error or "
    "conflict (retries exhausted), the rate limits' redis, or hashing (no hashing thread came "
    "free).",
    ["kind"],
)
_HASHING_WAIT = Histogram(
    "authgate_hashing_wait_seconds",
    "Time a password hashing or verification waited for a free hashing thread, and for one of "
    "the server's hashing places (one a core, shared by its workers).",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
_REQUESTS = Counter(
    "authgate_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
_DURATION_BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_DURATION = Histogram(
    "authgate_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer.",
    ["method", "route"],
    buckets=_DURATION_BOUNDS,
)
_GC_PAUSE_BOUNDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
_GC_PAUSES = Histogram(
    "authgate_gc_pause_seconds",
    "Time each pass of the cyclic garbage collector held the process, by generation: the "
    "process answers nothing meanwhile.",
    ["generation"],
    buckets=_GC_PAUSE_BOUNDS,
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Every series whose label values are known in advance is shown from the start, at 0, with its
# family's help text, so that a rate over it, and an alert on it, exist before its first event.
# Creating a series writes its 0 to this worker's file in multiprocess mode: each worker imports
# this module after PROMETHEUS_MULTIPROC_DIR is set (entrypoints/cli.py spawns them).
for _family, _values in (
    (_SIGNINS, [outcome.value for outcome in SigninOutcome]),
    (_REFRESHES, [outcome.value for outcome in RefreshOutcome]),
    (_THROTTLED, list(RateLimitName)),
    (_UNAVAILABLE, list(UnavailableCause)),
):
    for _value in _values:
        _family.labels(_value)
# The request families' label values come with the requests; the scrape's own series is known
# in advance, and shows both families' help text before any request was tallied.
_SCRAPE = ("GET", "/metrics")
_REQUESTS.labels(*_SCRAPE, "200")
_DURATION.labels(*_SCRAPE)


class PrometheusMetrics(Metrics):
    """Every instance reports into the process's metric families."""

    def signin(self, outcome: SigninOutcome) -> None:
        _SIGNINS.labels(outcome.value).inc()

    def refresh(self, outcome: RefreshOutcome) -> None:
        _REFRESHES.labels(outcome.value).inc()

    def throttled(self, limit: str) -> None:
        _THROTTLED.labels(limit).inc()

    def hashing_wait(self, seconds: float) -> None:
        _HASHING_WAIT.observe(seconds)

    def unavailable(self, kind: str) -> None:
        _UNAVAILABLE.labels(kind).inc()


class RequestMetrics:
    """Counts and times HTTP requests: called once per request, on the hot path.

    A request is tallied in this process, in a few additions, and the tallies are added to the
    metric families by `flush`, which the application calls every second and before it answers
    GET /metrics. Adding each request to the families directly took three locked writes to the
    workers' shared files, about 5 us a request; a flush writes each series once. So another
    worker's scrape sees a request within about a second, and this process's own at once.
    """

    def __init__(self) -> None:
        self._tallies: dict[tuple[str, str, int], _Tally] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in _METHODS:
            method = "OTHER"
        tally = self._tallies.get((method, route, status))
        if tally is None:
            tally = self._tallies[method, route, status] = _Tally(method, route, status)
        tally.count += 1
        tally.durations.add(seconds)

    def flush(self) -> None:
        """Adds what was tallied since the last flush to the metric families."""
        for tally in self._tallies.values():
            if tally.count:
                tally.counter.inc(tally.count)
                tally.count = 0
                tally.durations.flush()


class GarbageCollectorPauses:
    """Times every pass of the cyclic garbage collector (`gc.callbacks`), by generation, into
    authgate_gc_pause_seconds: the pauses that once made the p99 of every endpoint (a full pass
    over the start-up heap took 35-60 ms, see entrypoints/worker.py) stay visible in production.

    A pass may run on any thread (a hashing thread, the log writer), and may start inside
    `flush` itself: the lock is re-entrant, and a flush swaps in fresh tallies before it writes
    the old ones, so no pass is counted twice or lost."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._started = 0.0
        self._series = [_GC_PAUSES.labels(str(generation)) for generation in range(3)]
        self._pauses = self._fresh()

    def install(self) -> None:
        if self._on_pass not in gc.callbacks:
            gc.callbacks.append(self._on_pass)

    def uninstall(self) -> None:
        if self._on_pass in gc.callbacks:
            gc.callbacks.remove(self._on_pass)

    def flush(self) -> None:
        with self._lock:
            pauses, self._pauses = self._pauses, self._fresh()
        for pause in pauses:
            pause.flush()

    def _on_pass(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = perf_counter()
            return
        paused = perf_counter() - self._started
        with self._lock:
            self._pauses[info["generation"]].add(paused)

    def _fresh(self) -> "list[_Observations]":
        return [_Observations(series, _GC_PAUSE_BOUNDS) for series in self._series]


class _Observations:
    """Observations of one histogram series since the last flush.

    prometheus_client has no call that adds many observations to a histogram at once: `flush`
    adds to the series' per-bucket and sum values as its `observe` does, one bucket per
    observation (tests/unit/test_request_metrics.py holds the result equal to `observe`'s)."""

    __slots__ = ("bounds", "buckets", "count", "histogram", "seconds")

    def __init__(self, histogram: Histogram, bounds: tuple[float, ...]) -> None:
        self.histogram = histogram
        self.bounds = bounds
        self.count = 0
        self.seconds = 0.0
        self.buckets = [0] * (len(bounds) + 1)

    def add(self, seconds: float) -> None:
        self.count += 1
        self.seconds += seconds
        # The first bucket whose bound is at least `seconds`, as Histogram.observe picks it; the
        # last, +Inf, past every bound.
        self.buckets[bisect_left(self.bounds, seconds)] += 1

    def flush(self) -> None:
        if not self.count:
            return
        # Histogram.observe's own steps (prometheus_client/metrics.py), n observations at once.
        self.histogram._sum.inc(self.seconds)
        for index, count in enumerate(self.buckets):
            if count:
                self.histogram._buckets[index].inc(count)
        self.count, self.seconds = 0, 0.0
        self.buckets = [0] * len(self.buckets)


class _Tally:
    """One series' requests since the last flush, and the prometheus_client children it adds to."""

    __slots__ = ("count", "counter", "durations")

    def __init__(self, method: str, route: str, status: int) -> None:
        self.counter = _REQUESTS.labels(method, route, str(status))
        self.durations = _Observations(_DURATION.labels(method, route), _DURATION_BOUNDS)
        self.count = 0


GC_PAUSES = GarbageCollectorPauses()
"""The process's one: the collector's callbacks are the process's."""


def exposition() -> bytes:
    """Every metric in Prometheus's text format: the sum over all worker processes in
    multiprocess mode, this process's own otherwise."""
    if os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
