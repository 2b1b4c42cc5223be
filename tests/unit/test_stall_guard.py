"""The bench's stall guard tells a pause of the server from a busy machine: on a quiet machine a
stall fails the run, on a busy one the run is inconclusive and names the figure."""

import pytest

from bench.config import Targets
from bench.fixed_rate import FixedRateResult
from bench.machine import MachineUsage
from bench.report import stall_line
from bench.stall_guard import stall

TARGETS = Targets()
QUIET = MachineUsage(
    server_cpu_seconds=8.0, server_share=0.40, busy_share=0.62, steal_share=0.0, database_share=0.1
)
# The review's run: the machine 89% busy, the client up to 40 ms late, p99.9 312 ms.
BUSY = MachineUsage(
    server_cpu_seconds=8.0, server_share=0.40, busy_share=0.89, steal_share=0.0, database_share=0.1
)


def run(p999_ms: float, machine: MachineUsage | None, client_late_ms: float) -> FixedRateResult:
    return FixedRateResult(
        key="fixed_user",
        label="GET /api/test/user at 700/s",
        rate=700,
        connections=16,
        requests=7000,
        unanswered=0,
        seconds=10.0,
        p50_ms=1.2,
        p90_ms=2.0,
        p99_ms=4.0,
        p999_ms=p999_ms,
        max_ms=p999_ms + 20,
        stalls=12,
        client_late_ms=client_late_ms,
        statuses={200: 7000},
        machine=machine,
    )


def test_no_stall_no_verdict() -> None:
    assert stall(run(12.0, BUSY, 40.0), TARGETS) is None


def test_a_stall_on_a_quiet_machine_fails() -> None:
    found = stall(run(312.0, QUIET, 1.5), TARGETS)

    assert found is not None
    assert not found.inconclusive
    assert "inconclusive" not in stall_line(found, TARGETS)


def test_a_stall_on_the_reviews_busy_machine_is_inconclusive_naming_the_figures() -> None:
    found = stall(run(312.0, BUSY, 40.0), TARGETS)

    assert found is not None
    assert found.inconclusive
    line = stall_line(found, TARGETS)
    assert "inconclusive, the machine was busy" in line
    assert "the client was up to 40.0 ms late" in line
    assert "other work kept 39% of the cores busy" in line


@pytest.mark.parametrize(
    ("machine", "client_late_ms", "figure"),
    [
        (QUIET, 40.0, "the client was up to 40.0 ms late"),
        (BUSY, 1.5, "other work kept 39% of the cores busy"),
        (
            MachineUsage(8.0, server_share=0.4, busy_share=0.6, steal_share=0.12),
            1.5,
            "the hypervisor took 12% of the cores' time",
        ),
    ],
)
def test_any_one_busy_figure_makes_a_stall_inconclusive(
    machine: MachineUsage, client_late_ms: float, figure: str
) -> None:
    found = stall(run(312.0, machine, client_late_ms), TARGETS)

    assert found is not None
    assert len(found.busy_machine) == 1
    assert figure in found.busy_machine[0]


def test_a_server_that_takes_the_cores_itself_is_not_a_busy_machine() -> None:
    """A regression that burns CPU makes the machine busy too, but with the server's own work."""
    hungry = MachineUsage(
        20.0, server_share=0.85, busy_share=0.97, steal_share=0.0, database_share=0.08
    )

    found = stall(run(312.0, hungry, 3.0), TARGETS)

    assert found is not None
    assert not found.inconclusive
