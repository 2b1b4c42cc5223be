"""The stall guard: a fixed-rate run whose p99.9 is over `Targets.stall_ms` fails the bench, as
a pause of the server would. Unless the machine was busy with other work: then the tail may be
the neighbours' and not the server's, and the run is inconclusive rather than failed, naming the
figure that made it so. The figures are the ones the run measures anyway (bench.machine and the
client's own lateness); the thresholds are `Targets.busy_*`."""

from dataclasses import dataclass

from bench.config import Targets
from bench.fixed_rate import FixedRateResult


@dataclass(frozen=True, slots=True)
class Stall:
    result: FixedRateResult
    busy_machine: tuple[str, ...]
    """Why the machine counts as busy; empty on a quiet machine, where the stall is a failure."""

    @property
    def inconclusive(self) -> bool:
        return bool(self.busy_machine)


def stall(result: FixedRateResult, targets: Targets) -> Stall | None:
    """None when the run shows no stall."""
    if result.p999_ms <= targets.stall_ms:
        return None
    return Stall(result, tuple(busy_machine(result, targets)))


def busy_machine(result: FixedRateResult, targets: Targets) -> list[str]:
    figures = []
    if result.client_late_ms > targets.busy_client_late_ms:
        figures.append(
            f"the client was up to {result.client_late_ms:.1f} ms late sending "
            f"(over {targets.busy_client_late_ms:g} ms: it did not get a core in time either)"
        )
    machine = result.machine
    if machine is None:
        return figures
    if machine.other_work_share > targets.busy_other_share:
        database = "-" if machine.database_share is None else f"{machine.database_share:.0%}"
        figures.append(
            f"other work kept {machine.other_work_share:.0%} of the cores busy (over "
            f"{targets.busy_other_share:.0%}: the machine {machine.busy_share:.0%}, the server "
            f"{machine.server_share:.0%}, the database {database})"
        )
    if machine.steal_share > targets.busy_steal_share:
        figures.append(
            f"the hypervisor took {machine.steal_share:.0%} of the cores' time "
            f"(over {targets.busy_steal_share:.0%})"
        )
    return figures
