"""What a bench run prints and writes: the closed-loop table (wrk), the fixed-rate table, the share
of the bare app's rate, the worker peaks, the bcrypt ceiling, the targets of bench/config.py as
PASS/MISS lines, and the failures that make the run exit non-zero: a request that failed, or a
fixed-rate run that shows a stall on a quiet machine (the stall guard; on a busy one the run is
inconclusive and says which figure made it so)."""

import math
from dataclasses import dataclass
from functools import cached_property

from bench.config import BenchConfig, Targets
from bench.fixed_rate import FixedRateResult
from bench.limits import BcryptLimit
from bench.machine import MachineUsage
from bench.scenarios import SIGNIN_CLIENTS, PhaseResult
from bench.stall_guard import Stall, stall
from bench.wrk import WrkResult

_HEADER = (
    "scenario",
    "conns",
    "req/s",
    "p50",
    "p90",
    "p99",
    "p99.9",
    "p99/p50",
    "err",
    "non-2xx",
    "cpu us",
    "db us",
    "retries",
    "steal",
    "wait srv/db",
)
_FIXED_RATE_HEADER = ("fixed rate (ms from the due time)", "conns", "rate/s", "p50", "p90", "p99")
_FIXED_RATE_HEADER_TAIL = (
    "p99.9",
    "max",
    "stalls",
    "late",
    "server",
    "retries",
    "steal",
    "gc max",
    "wait srv/db",
)
_TAIL_SCENARIOS = ("all", "user", "admin")


@dataclass(frozen=True, slots=True)
class Check:
    target: str
    measured: str
    passed: bool

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'MISS'}  {self.target}: {self.measured}"

    def as_json(self) -> dict[str, object]:
        return {"target": self.target, "measured": self.measured, "passed": self.passed}


@dataclass(frozen=True)
class Report:
    started: str
    config: BenchConfig
    limit: BcryptLimit
    phases: list[PhaseResult]
    hello: WrkResult
    load_averages: tuple[tuple[float, float, float], tuple[float, float, float]]
    """The machine's load averages before and after the scenarios: the cores are shared, and a
    busy machine shows in the tails first."""
    autogroup: bool | None = None
    """The kernel's autogroup scheduling during the run (bench.machine.scheduler_autogroup)."""

    @property
    def targets(self) -> Targets:
        return self.config.targets

    @cached_property
    def results(self) -> dict[str, WrkResult]:
        return {result.key: result for phase in self.phases for result in phase.results}

    @cached_property
    def fixed_rate(self) -> dict[str, FixedRateResult]:
        return {result.key: result for phase in self.phases for result in phase.fixed_rate}

    @cached_property
    def failures(self) -> list[str]:
        """A correct run has none: every socket error and every non-2xx status is a bug, and so
        is a pause of the server that the fixed-rate runs catch (the stall guard)."""
        logs = {result.key: phase.server_log for phase in self.phases for result in phase.results}
        logs |= {
            result.key: phase.server_log for phase in self.phases for result in phase.fixed_rate
        }
        return [
            *(
                f"{result.label}: {result.socket_errors} socket errors, statuses "
                f"{result.statuses}; server log {logs.get(result.key, 'of the bare app')}"
                for result in (*self.results.values(), self.hello)
                if result.socket_errors or result.non_2xx
            ),
            *(
                f"{result.label}: {result.unanswered} unanswered, statuses {result.statuses}"
                f"; server log {logs[result.key]}"
                for result in self.fixed_rate.values()
                if result.unanswered or result.non_2xx
            ),
            *(
                f"{stall_line(found, self.targets)}; server log {logs[found.result.key]}"
                for found in self._stalls
                if not found.inconclusive
            ),
        ]

    @cached_property
    def inconclusive(self) -> list[str]:
        """Stalls on a machine busy with other work: they neither pass nor fail the run."""
        logs = {
            result.key: phase.server_log for phase in self.phases for result in phase.fixed_rate
        }
        return [
            f"{stall_line(found, self.targets)}; server log {logs[found.result.key]}"
            for found in self._stalls
            if found.inconclusive
        ]

    @cached_property
    def _stalls(self) -> list[Stall]:
        return [
            found
            for result in self.fixed_rate.values()
            if (found := stall(result, self.targets)) is not None
        ]

    def checks(self) -> list[Check]:
        return [
            *(self._tail_check(key) for key in _TAIL_SCENARIOS),
            *(check for key in self.fixed_rate for check in self._fixed_rate_checks(key)),
            self._hello_check(),
            self._admin_check(),
            self._signin_check(),
            self._mixed_check(),
            self._rss_check(),
        ]

    def lines(self) -> list[str]:
        return [
            _columns(_HEADER),
            *(_row(result) for result in (*self.results.values(), self.hello)),
            "",
            _columns(_FIXED_RATE_HEADER + _FIXED_RATE_HEADER_TAIL),
            *(_fixed_rate_row(result) for result in self.fixed_rate.values()),
            f"  (stalls: requests over {self.targets.stall_ms:g} ms; late: the client's own "
            "worst lateness in sending, ms;",
            "   server: its share of the cores' time; steal: the share the hypervisor took;",
            "   gc max: the longest pass of the server's garbage collector during the run, at",
            "   most, in ms, from its authgate_gc_pause_seconds)",
            "  cpu us: the server's CPU time a request; db us: the database server's, where it",
            "  runs on this machine (not on a mixed scenario's rows, whose loads share both);",
            "  steal: the share of the cores' time the hypervisor gave to other machines during",
            "  the run; retries: units of work the server ran again after a transient conflict",
            "  (a deadlock, a lock wait over its limit), from its log's lines during the run (a",
            "  mixed scenario's rows share one count); wait srv/db: how long the server's and",
            "  the database's threads waited for a core, on average, each time they had work",
            "  (the kernel's run-queue wait a turn, ms; - where unknown)",
            "",
            f"GET /api/test/all reaches {self._hello_share():.0%} of the bare Litestar app's "
            f"{self.hello.requests_per_second:.0f} req/s",
            *self._cpu_share_lines(),
            "",
            "load average (1, 5, 15 min) before: {}, after: {}".format(
                *(", ".join(f"{value:.2f}" for value in load) for load in self.load_averages)
            ),
            _autogroup_line(self.autogroup),
            f"bcrypt: one cost-{self.limit.cost} hash takes {self.limit.hash_seconds * 1e3:.2f} ms"
            f", so {self.limit.cores} cores allow {self.limit.signins_per_second:.0f} signins/s",
            *signin_budget_lines(
                self.results["signin_cost8"], self.limit, self.targets.signin_share
            ),
            "worker peak RSS (VmHWM, after each server's scenarios):",
            *(_peaks_line(phase) for phase in self.phases),
            "",
            *(check.line() for check in self.checks()),
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "started": self.started,
            "load_averages": {"before": self.load_averages[0], "after": self.load_averages[1]},
            "kernel_sched_autogroup": self.autogroup,
            "config": {
                "database_server": self.config.server_url.render_as_string(hide_password=True),
                "workers": self.config.workers,
                "duration_s": self.config.duration,
                "warmup_s": self.config.warmup,
                "connections": self.config.connections,
                "wrk_threads": self.config.threads,
                "targets": {
                    name: getattr(self.targets, name) for name in self.targets.__dataclass_fields__
                },
            },
            "bcrypt": {
                "cost": self.limit.cost,
                "cores": self.limit.cores,
                "hash_ms": round(self.limit.hash_seconds * 1e3, 3),
                "signins_per_second_limit": round(self.limit.signins_per_second, 1),
            },
            "servers": [
                {
                    "bcrypt_cost": phase.bcrypt_cost,
                    "log": str(phase.server_log),
                    "worker_peak_rss_mib": {
                        str(pid): round(mib, 1) for pid, mib in phase.worker_peak_rss_mib.items()
                    },
                }
                for phase in self.phases
            ],
            "scenarios": [result.as_json() for result in (*self.results.values(), self.hello)],
            "fixed_rate": [result.as_json() for result in self.fixed_rate.values()],
            "all_share_of_bare_app": round(self._hello_share(), 3),
            "all_share_of_bare_app_by_cpu": (
                None if (share := self._cpu_share()) is None else round(share, 3)
            ),
            "targets": [check.as_json() for check in self.checks()],
            "failures": self.failures,
            "inconclusive": self.inconclusive,
        }

    def _tail_check(self, key: str) -> Check:
        result, factor = self.results[key], self.targets.tail_factor
        return Check(
            f"{result.label} at {result.connections} connections: p99 <= {factor:g}x p50",
            f"{result.p99_ms:.2f} ms vs {result.p50_ms:.2f} ms, {_tail(result):.1f}x",
            _tail(result) <= factor,
        )

    def _fixed_rate_checks(self, key: str) -> list[Check]:
        result = self.fixed_rate[key]
        p99_ms, p999_ms = self.targets.fixed_rate_limits(result.share)
        return [
            Check(
                f"{result.label}: p99 < {p99_ms:g} ms",
                f"{result.p99_ms:.2f} ms",
                result.p99_ms < p99_ms,
            ),
            Check(
                f"{result.label}: p99.9 < {p999_ms:g} ms",
                f"{result.p999_ms:.2f} ms",
                result.p999_ms < p999_ms,
            ),
        ]

    def _hello_check(self) -> Check:
        share = self._hello_share()
        return Check(
            f"GET /api/test/all >= {self.targets.hello_share:.0%} of a bare Litestar app",
            f"{self._rate('all'):.0f} of {self.hello.requests_per_second:.0f} req/s, {share:.0%}",
            share >= self.targets.hello_share,
        )

    def _hello_share(self) -> float:
        return self._rate("all") / self.hello.requests_per_second

    def _cpu_share(self) -> float | None:
        ours, bare = self.results["all"].cpu_us_per_request, self.hello.cpu_us_per_request
        return bare / ours if ours and bare else None

    def _cpu_share_lines(self) -> list[str]:
        ours, bare = self.results["all"].cpu_us_per_request, self.hello.cpu_us_per_request
        if not ours or not bare:
            return []
        return [
            f"  by server CPU a request, steadier on shared cores: {ours:.0f} us against "
            f"{bare:.0f} us, {bare / ours:.0%}; the request path's own cost is "
            f"{ours - bare:.0f} us (granian's share is in both)"
        ]

    def _admin_check(self) -> Check:
        share, target = self._rate("admin") / self._rate("all"), self.targets.admin_share
        return Check(
            f"GET /api/test/admin >= {target:.0%} of GET /api/test/all",
            f"{share:.0%}",
            share >= target,
        )

    def _signin_check(self) -> Check:
        achieved, limit = self._rate("signin_cost8"), self.limit.signins_per_second
        share, target = achieved / limit, self.targets.signin_share
        return Check(
            f"signin at cost {self.limit.cost} >= {target:.0%} of the bcrypt limit",
            f"{achieved:.0f} of {limit:.0f}/s, {share:.0%}",
            share >= target,
        )

    def _mixed_check(self) -> Check:
        mixed, plain = self.results["mixed_user"].p99_ms, self.results["user"].p99_ms
        factor, target = mixed / plain, self.targets.mixed_factor
        return Check(
            f"p99 of GET /api/test/user while {SIGNIN_CLIENTS} sign in <= {target:g}x without",
            f"{mixed:.1f} ms vs {plain:.1f} ms, {factor:.1f}x",
            factor <= target,
        )

    def _rss_check(self) -> Check:
        peaks = [mib for phase in self.phases for mib in phase.worker_peak_rss_mib.values()]
        limit = self.targets.worker_rss_mib
        target = f"peak RSS <= {limit:g} MiB per worker"
        if not peaks:
            return Check(target, "no worker process found", False)
        return Check(
            target,
            f"largest {max(peaks):.1f} MiB",
            max(peaks) <= limit,
        )

    def _rate(self, key: str) -> float:
        return self.results[key].requests_per_second


def signin_budget_lines(result: WrkResult, limit: BcryptLimit, share: float) -> list[str]:
    """Where a signin's time on the cores went, against what signing in at `share` of the bcrypt
    limit leaves for everything but the hash: the cores' time a signin at that rate, less one
    hash. Nothing where the machine's use was not measured."""
    server, database = result.cpu_us_per_request, result.database_cpu_us_per_request
    other = None if result.machine is None else result.machine.other_work_cpu_seconds
    if server is None or database is None or other is None or not result.requests:
        return []
    hashing = limit.hash_seconds * 1e6
    rest = other / result.requests * 1e6
    budget = hashing / share - hashing
    return [
        f"  a cost-{limit.cost} signin took {server:.0f} us of the server's CPU (the hash about "
        f"{hashing:.0f}, the rest {server - hashing:.0f}), {database:.0f} us of the database's "
        f"and {rest:.0f} us of the rest (the load generator, the kernel);",
        f"  at {share:.0%} of the limit, all but the hash must fit in {budget:.0f} us a signin: "
        f"it took {server - hashing + database + rest:.0f}",
    ]


def _tail(result: WrkResult) -> float:
    return result.p99_ms / result.p50_ms if result.p50_ms else math.inf


def _row(result: WrkResult) -> str:
    return _columns(
        (
            result.label,
            str(result.connections),
            f"{result.requests_per_second:.0f}",
            f"{result.p50_ms:.2f}",
            f"{result.p90_ms:.2f}",
            f"{result.p99_ms:.2f}",
            f"{result.p999_ms:.2f}",
            f"{_tail(result):.1f}x",
            str(result.socket_errors),
            str(result.non_2xx),
            "-" if (cpu := result.cpu_us_per_request) is None else f"{cpu:.0f}",
            "-" if (db := result.database_cpu_us_per_request) is None else f"{db:.0f}",
            _count(result.retries),
            _share(None if result.machine is None else result.machine.steal_share),
            _waits(result.machine),
        )
    )


def _fixed_rate_row(result: FixedRateResult) -> str:
    return _columns(
        (
            result.label,
            str(result.connections),
            f"{result.rate:.0f}",
            f"{result.p50_ms:.2f}",
            f"{result.p90_ms:.2f}",
            f"{result.p99_ms:.2f}",
            f"{result.p999_ms:.2f}",
            f"{result.max_ms:.1f}",
            str(result.stalls),
            f"{result.client_late_ms:.1f}",
            _share(None if result.machine is None else result.machine.server_share),
            _count(result.retries),
            _share(None if result.machine is None else result.machine.steal_share),
            "-" if result.collector is None else f"{result.collector.longest_ms():g}",
            _waits(result.machine),
        )
    )


def _autogroup_line(autogroup: bool | None) -> str:
    if autogroup is None:
        return "kernel autogroup scheduling: unknown"
    if not autogroup:
        return "kernel autogroup scheduling: off (kernel.sched_autogroup_enabled = 0)"
    return (
        "kernel autogroup scheduling: on (a database started in a session of its own gets the "
        "cores as one group; README: Performance)"
    )


def _waits(machine: MachineUsage | None) -> str:
    return "-" if machine is None else machine.waits_ms()


def stall_line(found: Stall, targets: Targets) -> str:
    """What the stall guard says of a stall: a failure, or on a busy machine inconclusive, with
    the figures that made it so."""
    result = found.result
    line = (
        f"stall guard: {result.label}: p99.9 {result.p999_ms:.1f} ms > {targets.stall_ms:g} ms "
        f"({result.stalls} requests over it, the slowest {result.max_ms:.1f} ms"
        f"{_usage_note(result)})"
    )
    if not found.inconclusive:
        return line
    return f"{line}; inconclusive, the machine was busy: {'; '.join(found.busy_machine)}"


def _usage_note(result: FixedRateResult) -> str:
    if result.machine is None:
        return ""
    return (
        f"; the server used {result.machine.server_share:.0%} of the cores, the machine "
        f"{result.machine.busy_share:.0%}, steal {result.machine.steal_share:.0%}, the client "
        f"was up to {result.client_late_ms:.1f} ms late, and the server's and the database's "
        f"threads waited {_waits(result.machine)} ms for a core each time they had work"
        + (
            ""
            if result.collector is None
            else f", the longest collector pass at most {result.collector.longest_ms():g} ms"
        )
    )


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _columns(cells: tuple[str, ...]) -> str:
    """A row of a table whose last column is the run-queue waits, "0.12/0.34"."""
    label, *figures, waits = cells
    return f"{label:<46}" + "".join(f"{figure:>8}" for figure in figures) + f"{waits:>12}"


def _peaks_line(phase: PhaseResult) -> str:
    peaks = ", ".join(
        f"pid {pid} {mib:.1f} MiB" for pid, mib in sorted(phase.worker_peak_rss_mib.items())
    )
    return f"  cost-{phase.bcrypt_cost} server: {peaks or 'no worker process found'}"
