"""What a bench run prints and writes: the table, the worker peaks, the bcrypt ceiling, the targets
of issue 4 as PASS/MISS lines (informational), and the failures that make the run exit non-zero."""

from dataclasses import dataclass
from functools import cached_property

from bench.config import BenchConfig
from bench.limits import BcryptLimit
from bench.scenarios import SIGNIN_CLIENTS, PhaseResult
from bench.wrk import WrkResult

_MAX_WORKER_RSS_MIB = 150
_HEADER = ("scenario", "conns", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx")


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

    @cached_property
    def results(self) -> dict[str, WrkResult]:
        return {result.key: result for phase in self.phases for result in phase.results}

    @cached_property
    def failures(self) -> list[str]:
        """A correct run has none: every socket error and every non-2xx status is a bug."""
        return [
            f"{result.label}: {result.socket_errors} socket errors, statuses {result.statuses}"
            f"; server log {phase.server_log}"
            for phase in self.phases
            for result in phase.results
            if result.socket_errors or result.non_2xx
        ]

    def checks(self) -> list[Check]:
        return [self._admin_check(), self._signin_check(), self._mixed_check(), self._rss_check()]

    def lines(self) -> list[str]:
        return [
            _columns(_HEADER),
            *(_row(result) for result in self.results.values()),
            "",
            f"bcrypt: one cost-{self.limit.cost} hash takes {self.limit.hash_seconds * 1e3:.2f} ms"
            f", so {self.limit.cores} cores allow {self.limit.signins_per_second:.0f} signins/s",
            "worker peak RSS (VmHWM, after each server's scenarios):",
            *(_peaks_line(phase) for phase in self.phases),
            "",
            *(check.line() for check in self.checks()),
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "started": self.started,
            "config": {
                "database_server": self.config.server_url.render_as_string(hide_password=True),
                "workers": self.config.workers,
                "duration_s": self.config.duration,
                "warmup_s": self.config.warmup,
                "connections": self.config.connections,
                "wrk_threads": self.config.threads,
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
            "scenarios": [result.as_json() for result in self.results.values()],
            "targets": [check.as_json() for check in self.checks()],
            "failures": self.failures,
        }

    def _admin_check(self) -> Check:
        share = self._rate("admin") / self._rate("all")
        return Check(
            "GET /api/test/admin >= 50% of GET /api/test/all", f"{share:.0%}", share >= 0.5
        )

    def _signin_check(self) -> Check:
        achieved, limit = self._rate("signin_cost8"), self.limit.signins_per_second
        share = achieved / limit
        return Check(
            f"signin at cost {self.limit.cost} >= 80% of the bcrypt limit",
            f"{achieved:.0f} of {limit:.0f}/s, {share:.0%}",
            share >= 0.8,
        )

    def _mixed_check(self) -> Check:
        mixed, plain = self.results["mixed_user"].p99_ms, self.results["user"].p99_ms
        factor = mixed / plain
        return Check(
            f"p99 of GET /api/test/user while {SIGNIN_CLIENTS} sign in <= 3x without",
            f"{mixed:.1f} ms vs {plain:.1f} ms, {factor:.1f}x",
            factor <= 3,
        )

    def _rss_check(self) -> Check:
        peaks = [mib for phase in self.phases for mib in phase.worker_peak_rss_mib.values()]
        target = f"peak RSS <= {_MAX_WORKER_RSS_MIB} MiB per worker"
        if not peaks:
            return Check(target, "no worker process found", False)
        return Check(
            target,
            f"largest {max(peaks):.1f} MiB",
            max(peaks) <= _MAX_WORKER_RSS_MIB,
        )

    def _rate(self, key: str) -> float:
        return self.results[key].requests_per_second


def _row(result: WrkResult) -> str:
    return _columns(
        (
            result.label,
            str(result.connections),
            f"{result.requests_per_second:.1f}",
            f"{result.p50_ms:.2f}",
            f"{result.p99_ms:.2f}",
            str(result.socket_errors),
            str(result.non_2xx),
        )
    )


def _columns(cells: tuple[str, ...]) -> str:
    label, *figures = cells
    return f"{label:<46}" + "".join(f"{figure:>9}" for figure in figures)


def _peaks_line(phase: PhaseResult) -> str:
    peaks = ", ".join(
        f"pid {pid} {mib:.1f} MiB" for pid, mib in sorted(phase.worker_peak_rss_mib.items())
    )
    return f"  cost-{phase.bcrypt_cost} server: {peaks or 'no worker process found'}"
