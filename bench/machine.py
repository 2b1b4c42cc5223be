"""What the machine did during a run: how much of the cores the server used, how much the
hypervisor took away (steal), and how long the server's and the database's threads waited for a
core once they had work (the scheduler's run-queue wait). On a shared virtual machine these
explain a tail that the server's code does not: a fixed-rate run near the cores' capacity queues,
a run during heavy steal waits for a CPU that is not there, and a database thread that waits for
a core holds up every request that queries it."""

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.server import cpu_seconds, process_and_children
from testkit.servers import listening_sockets

_STAT = "/proc/stat"
# The fields of /proc/stat's "cpu" line (proc(5)), in ticks.
_BUSY = ("user", "nice", "system", "irq", "softirq")
_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


@dataclass(frozen=True, slots=True)
class RunQueueWait:
    """Time some processes' threads spent runnable but waiting for a core, from the scheduler's
    own accounting (/proc/<pid>/task/<tid>/schedstat: run-queue wait and turns on a core)."""

    seconds: float
    turns: int
    """The times a thread was given a core: mostly wake-ups, for a server that waits on sockets."""

    @property
    def ms_per_turn(self) -> float:
        """The mean wait each time a thread had work: what a request waits per hop through it."""
        return self.seconds / self.turns * 1e3 if self.turns else 0.0

    def as_json(self) -> dict[str, float]:
        return {
            "seconds": round(self.seconds, 4),
            "turns": self.turns,
            "ms_per_turn": round(self.ms_per_turn, 4),
        }


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
    server_wait: RunQueueWait | None = None
    """The server's threads' run-queue wait; None where the kernel does not account it."""
    database_wait: RunQueueWait | None = None
    """The database server's, when it runs on this machine."""
    database_share: float | None = None
    """The database server's share of the cores' time, when it runs on this machine."""
    database_cpu_seconds: float | None = None
    """CPU time of the database server's processes during the run, when it runs here."""
    seconds: float | None = None
    """The run's length, from the cores' own tick counts."""

    @property
    def other_work_cpu_seconds(self) -> float | None:
        """The cores' busy time that neither the server nor the database took, in CPU seconds:
        the load generator, the kernel's work for the sockets, anything else on the machine."""
        if self.seconds is None:
            return None
        return self.other_work_share * self.seconds * (os.cpu_count() or 1)

    @property
    def other_work_share(self) -> float:
        """The cores' busy share that neither the server nor the database took: the load
        generator, and whatever else runs on the machine."""
        return max(0.0, self.busy_share - self.server_share - (self.database_share or 0.0))

    def waits_ms(self) -> str:
        """The server's and the database's mean run-queue wait a turn, "0.12/0.34", - unknown."""
        return "/".join(
            "-" if wait is None else f"{wait.ms_per_turn:.2f}"
            for wait in (self.server_wait, self.database_wait)
        )

    def as_json(self) -> dict[str, object]:
        return {
            "server_cpu_seconds": round(self.server_cpu_seconds, 3),
            "server_share_of_cores": round(self.server_share, 3),
            "busy_share_of_cores": round(self.busy_share, 3),
            "steal_share_of_cores": round(self.steal_share, 3),
            "database_share_of_cores": (
                None if self.database_share is None else round(self.database_share, 3)
            ),
            "database_cpu_seconds": (
                None if self.database_cpu_seconds is None else round(self.database_cpu_seconds, 3)
            ),
            "other_work_share_of_cores": round(self.other_work_share, 3),
            "server_run_queue_wait": (
                None if self.server_wait is None else self.server_wait.as_json()
            ),
            "database_run_queue_wait": (
                None if self.database_wait is None else self.database_wait.as_json()
            ),
        }


@contextmanager
def usage(server_pid: int, database_pid: int | None = None) -> Iterator[Callable[[], MachineUsage]]:
    """The usage over the block, read through the yielded function once the block has run.
    `database_pid`: the database server's process, if it runs here (see `listening_pid`), counted
    with its children as the server is."""
    server_pids = process_and_children(server_pid)
    # With its children: PostgreSQL's work is done by one backend process per connection.
    database_pids = [] if database_pid is None else process_and_children(database_pid)
    server_waits, database_waits = _thread_waits(server_pids), _thread_waits(database_pids)
    cpu_before, ticks_before = cpu_seconds(server_pid), _ticks()
    database_before = None if database_pid is None else cpu_seconds(database_pid)
    measured: list[MachineUsage] = []
    yield lambda: measured[0]
    server = cpu_seconds(server_pid) - cpu_before
    database = (
        None
        if database_pid is None or database_before is None
        else cpu_seconds(database_pid) - database_before
    )
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
            server_wait=_waited(server_waits, _thread_waits(server_pids)),
            database_wait=_waited(database_waits, _thread_waits(database_pids)),
            database_share=None
            if database is None or not seconds
            else database / (seconds * cores),
            database_cpu_seconds=database,
            seconds=seconds,
        )
    )


_AUTOGROUP = Path("/proc/sys/kernel/sched_autogroup_enabled")


def scheduler_autogroup() -> bool | None:
    """Whether the kernel shares the cores between sessions before threads (autogroup); None if
    it cannot tell. With it on, a database started in a session of its own gets the cores as one
    group against the server, the load generator and everything else of the bench's session,
    which changes how long its threads wait for a core (README: Performance)."""
    try:
        return _AUTOGROUP.read_text().strip() == "1"
    except OSError:
        return None


def listening_pid(port: int) -> int | None:
    """The process listening on TCP `port` of this machine (the local database server), or None:
    none listens, it is another user's, or the database is elsewhere."""
    for owners in listening_sockets(port).values():
        if owners:
            return owners[0]
    return None


def _thread_waits(pids: Iterable[int]) -> dict[int, tuple[int, int]] | None:
    """Each thread's run-queue wait (ns) and turns so far, by thread id; None if not accounted."""
    waits: dict[int, tuple[int, int]] = {}
    for pid in pids:
        try:
            threads = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue  # gone since the listing
        for thread in threads:
            try:
                fields = (thread / "schedstat").read_text().split()
            except FileNotFoundError:
                if not Path("/proc/self/schedstat").exists():
                    return None  # a kernel built without scheduler statistics
                continue  # the thread ended since the listing
            except OSError:
                continue
            waits[int(thread.name)] = (int(fields[1]), int(fields[2]))
    return waits


def _waited(
    before: dict[int, tuple[int, int]] | None, after: dict[int, tuple[int, int]] | None
) -> RunQueueWait | None:
    """The wait between two readings; a thread started meanwhile counts from zero, and one that
    ended meanwhile is left out (its last figures are gone with it)."""
    if before is None or after is None:
        return None
    ns = turns = 0
    for thread, (waited, turned) in after.items():
        waited_before, turned_before = before.get(thread, (0, 0))
        ns += waited - waited_before
        turns += turned - turned_before
    return RunQueueWait(ns / 1e9, turns)


def _ticks() -> dict[str, int]:
    with open(_STAT) as stat:
        first = stat.readline().split()
    return dict(zip(_FIELDS, map(int, first[1 : len(_FIELDS) + 1]), strict=True))
