"""What the machine did during a run: how much of the cores the server used, and how much the
hypervisor took away (steal). On a shared virtual machine both explain a tail that the server's
code does not: a fixed-rate run near the cores' capacity queues, and a run during heavy steal
waits for a CPU that is not there."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.server import cpu_seconds

_STAT = "/proc/stat"
# The fields of /proc/stat's "cpu" line (proc(5)), in ticks.
_BUSY = ("user", "nice", "system", "irq", "softirq")
_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


@dataclass(frozen=True, slots=True)
class MachineUsage:
    server_cpu_seconds: float
    """CPU time of the server's processes during the run."""
    server_share: float
    """That time over the run's length times the cores: 1.0 is every core busy with it."""
    busy_share: float
    """The cores' busy time, everything included (the server, the load generator, the database)."""
    steal_share: float
    """The share of the cores' time the hypervisor gave to other machines."""

    def as_json(self) -> dict[str, float]:
        return {
            "server_cpu_seconds": round(self.server_cpu_seconds, 3),
            "server_share_of_cores": round(self.server_share, 3),
            "busy_share_of_cores": round(self.busy_share, 3),
            "steal_share_of_cores": round(self.steal_share, 3),
        }


@contextmanager
def usage(server_pid: int) -> Iterator[Callable[[], MachineUsage]]:
    """The usage over the block, read through the yielded function once the block has run."""
    cpu_before, ticks_before = cpu_seconds(server_pid), _ticks()
    measured: list[MachineUsage] = []
    yield lambda: measured[0]
    server = cpu_seconds(server_pid) - cpu_before
    ticks = {name: now - ticks_before[name] for name, now in _ticks().items()}
    total = sum(ticks.values()) or 1
    cores = os.cpu_count() or 1
    # The total counts every core's ticks: a core's share of it is 1 / cores.
    seconds = total / os.sysconf("SC_CLK_TCK") / cores
    measured.append(
        MachineUsage(
            server_cpu_seconds=server,
            server_share=server / (seconds * cores) if seconds else 0.0,
            busy_share=sum(ticks[name] for name in _BUSY) / total,
            steal_share=ticks["steal"] / total,
        )
    )


def _ticks() -> dict[str, int]:
    with open(_STAT) as stat:
        first = stat.readline().split()
    return dict(zip(_FIELDS, map(int, first[1 : len(_FIELDS) + 1]), strict=True))
