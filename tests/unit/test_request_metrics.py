"""Request metrics tallied in process and flushed in batches read exactly as if every request
had been added to prometheus_client's families one by one; the collector's passes are timed."""

import gc
import threading

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from adapters import prometheus_metrics
from adapters.prometheus_metrics import GarbageCollectorPauses, RequestMetrics

# Durations on, between and past the buckets' bounds.
DURATIONS = [0.0, 0.0004, 0.001, 0.0011, 0.0025, 0.003, 0.05, 0.7, 10.0, 10.5, 99.0]


def _request_families(registry: CollectorRegistry) -> tuple[Counter, Histogram]:
    """The two request families, as adapters/prometheus_metrics.py declares them."""
    requests = Counter("requests", "r", ["method", "route", "status"], registry=registry)
    durations = Histogram(
        "durations",
        "d",
        ["method", "route"],
        buckets=prometheus_metrics._DURATION_BOUNDS,
        registry=registry,
    )
    return requests, durations


@pytest.fixture
def families(monkeypatch: pytest.MonkeyPatch) -> CollectorRegistry:
    """Fresh request families in a registry of their own, in place of the process's."""
    registry = CollectorRegistry()
    requests, durations = _request_families(registry)
    monkeypatch.setattr(prometheus_metrics, "_REQUESTS", requests)
    monkeypatch.setattr(prometheus_metrics, "_DURATION", durations)
    return registry


def _one_by_one(requests: list[tuple[str, str, int, float]]) -> bytes:
    registry = CollectorRegistry()
    counter, histogram = _request_families(registry)
    for method, route, status, seconds in requests:
        counter.labels(method, route, str(status)).inc()
        histogram.labels(method, route).observe(seconds)
    return generate_latest(registry)


def test_flushed_tallies_read_as_requests_observed_one_by_one(
    families: CollectorRegistry,
) -> None:
    requests = [
        ("GET", "/api/test/all", 200 if index % 3 else 404, seconds)
        for index, seconds in enumerate(DURATIONS)
    ] + [("POST", "/api/auth/signin", 401, seconds) for seconds in DURATIONS[::2]]
    metrics = RequestMetrics()

    for request in requests[:7]:
        metrics.observe(*request)
    metrics.flush()
    for request in requests[7:]:
        metrics.observe(*request)
    metrics.flush()
    metrics.flush()  # nothing new: adds nothing

    assert _samples(generate_latest(families)) == _samples(_one_by_one(requests))


def _samples(exposition: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], object]:
    """Every sample by name and labels; sums approximately (a batch adds in another order)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): (
            pytest.approx(sample.value) if sample.name.endswith("_sum") else sample.value
        )
        for family in text_string_to_metric_families(exposition.decode())
        for sample in family.samples
    }


def test_nothing_reaches_the_families_before_a_flush(families: CollectorRegistry) -> None:
    metrics = RequestMetrics()
    metrics.observe("GET", "/api/test/all", 200, 0.001)

    series = b'requests_total{method="GET",route="/api/test/all",status="200"}'
    assert series + b" 0.0" in generate_latest(families)
    metrics.flush()
    assert series + b" 1.0" in generate_latest(families)


def test_an_unknown_method_is_counted_as_other(families: CollectorRegistry) -> None:
    metrics = RequestMetrics()
    metrics.observe("BREW", "unmatched", 405, 0.001)
    metrics.flush()

    assert b'method="OTHER",route="unmatched",status="405"' in generate_latest(families)


@pytest.fixture
def pause_family(monkeypatch: pytest.MonkeyPatch) -> CollectorRegistry:
    registry = CollectorRegistry()
    pauses = Histogram(
        "pauses",
        "p",
        ["generation"],
        buckets=prometheus_metrics._GC_PAUSE_BOUNDS,
        registry=registry,
    )
    monkeypatch.setattr(prometheus_metrics, "_GC_PAUSES", pauses)
    return registry


def _pause_counts(registry: CollectorRegistry) -> dict[str, float]:
    return {
        sample.labels["generation"]: sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
        if sample.name == "pauses_count"
    }


def test_every_pass_of_the_collector_is_timed_by_generation(
    pause_family: CollectorRegistry,
) -> None:
    pauses = GarbageCollectorPauses()
    pauses.install()
    try:
        gc.collect(0)
        gc.collect(2)
        gc.collect(2)
        # Passes on another thread (a hashing thread, the log writer) count as well.
        other = threading.Thread(target=gc.collect, args=(1,))
        other.start()
        other.join()
    finally:
        pauses.uninstall()
    gc.collect(2)  # after uninstall: not timed

    assert _pause_counts(pause_family) == {"0": 0.0, "1": 0.0, "2": 0.0}
    pauses.flush()
    counts = _pause_counts(pause_family)
    # The collector may also have run on its own meanwhile: at least the passes asked for.
    assert counts["0"] >= 1
    assert counts["1"] >= 1
    assert counts["2"] >= 2
    pauses.flush()
    assert _pause_counts(pause_family) == counts, "a second flush adds nothing"


def test_installing_twice_times_each_pass_once(pause_family: CollectorRegistry) -> None:
    pauses = GarbageCollectorPauses()
    pauses.install()
    pauses.install()
    try:
        gc.collect(2)
    finally:
        pauses.uninstall()
    pauses.flush()

    assert _pause_counts(pause_family)["2"] == 1
    assert pauses._on_pass not in gc.callbacks
