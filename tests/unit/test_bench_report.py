"""The bench's account of a signin's cost: where its time on the cores went, against what the
signin target leaves for everything but the hash."""

import pytest

from bench.limits import BcryptLimit
from bench.machine import MachineUsage
from bench.report import signin_budget_lines
from bench.wrk import WrkResult


def signins(machine: MachineUsage | None) -> WrkResult:
    return WrkResult(
        key="signin_cost8",
        label="POST /api/auth/signin, cost 8",
        connections=8,
        requests=800,
        seconds=10.0,
        p50_ms=90.0,
        p90_ms=110.0,
        p99_ms=130.0,
        p999_ms=150.0,
        socket_errors=0,
        statuses={200: 800},
        machine=machine,
    )


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.machine.os.cpu_count", lambda: 2)


@pytest.mark.usefixtures("two_cores")
def test_a_signins_cost_is_split_between_the_hash_the_rest_the_database_and_the_machine() -> None:
    # 800 signins in 10 s on 2 cores, all busy: 25 ms of the cores each. The server took 18.8 s
    # (23.5 ms a signin, 18 of them the hash), the database 1.0 s (1.25 ms), the rest 0.2 s.
    machine = MachineUsage(
        18.8,
        server_share=0.94,
        busy_share=1.0,
        steal_share=0.0,
        database_share=0.05,
        database_cpu_seconds=1.0,
        seconds=10.0,
    )

    lines = signin_budget_lines(signins(machine), BcryptLimit(8, 2, 0.018), 0.9)

    assert lines == [
        "  a cost-8 signin took 23500 us of the server's CPU (the hash about 18000, the rest "
        "5500), 1250 us of the database's and 250 us of the rest (the load generator, the "
        "kernel);",
        # 2 cores at 90% of 111/s: 20 ms a signin, less the 18 ms hash.
        "  at 90% of the limit, all but the hash must fit in 2000 us a signin: it took 7000",
    ]


def test_nothing_is_said_where_the_machine_was_not_measured() -> None:
    assert signin_budget_lines(signins(None), BcryptLimit(8, 2, 0.018), 0.9) == []
    unmeasured_database = MachineUsage(18.8, server_share=0.94, busy_share=1.0, steal_share=0.0)
    assert signin_budget_lines(signins(unmeasured_database), BcryptLimit(8, 2, 0.018), 0.9) == []
