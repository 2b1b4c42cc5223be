"""A served worker keeps its start-up heap out of the cyclic collector's reach. Without that, each
full collection walked every module, route and schema, and paused the worker for 35-50 ms several
times a minute under load; `make bench` guards the latency itself (its fixed-rate stall guard),
this guards the cause, deterministically, in a fraction of a second."""

import gc
from pathlib import Path

import pytest

from adapters.prometheus_metrics import GC_PAUSES
from entrypoints.settings import MEMORY_DATABASE_URL
from entrypoints.worker import create_worker_app


def test_a_worker_app_freezes_what_start_up_left(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", MEMORY_DATABASE_URL)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    try:
        create_worker_app()
        frozen = gc.get_freeze_count()
        still_walked = len(gc.get_objects())
        timed = GC_PAUSES._on_pass in gc.callbacks
    finally:
        # This process is the test run, not a worker: its heap goes back to the collector, and
        # its passes are not a worker's to time.
        gc.unfreeze()
        GC_PAUSES.uninstall()

    assert frozen > 50_000
    assert still_walked < frozen / 20
    assert timed, "a worker times every pass of the collector (authgate_gc_pause_seconds)"
