"""`python -m bench`: runs every scenario, prints the report, writes it as JSON under
bench/results/, and exits 1 when any request failed (socket error or non-2xx status) or a
fixed-rate run stalled, 2 when the bench itself could not run."""

import json
import os
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bench.compare import compare
from bench.config import BenchConfig
from bench.database import bench_database
from bench.errors import BenchError
from bench.limits import measure_bcrypt
from bench.machine import scheduler_autogroup
from bench.report import Report
from bench.scenarios import FAST_COST, Bench
from bench.wrk import Wrk

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main() -> int:
    # SIGTERM ends the bench through the clean-up Ctrl-C gets: server stopped, database dropped.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        return _bench(BenchConfig.from_env())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # The clean-up already ran on the way out; a traceback would only hide that it did.
        print("bench: interrupted", file=sys.stderr)
        return 130


def _bench(config: BenchConfig) -> int:
    wrk = Wrk.ensure(config.threads)
    RESULTS_DIR.mkdir(exist_ok=True)
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if config.compare_only:
        return _compare_only(config, wrk, started)
    # Before any server starts, so that nothing else competes for the cores.
    limit = measure_bcrypt(FAST_COST)
    with (
        bench_database(config.server_url) as database_url,
        tempfile.TemporaryDirectory(prefix="authgate-bench-") as scratch,
    ):
        print(f"database: {database_url.database} (dropped at the end)", flush=True)
        bench = Bench(config, wrk, database_url, Path(scratch), str(RESULTS_DIR / started))
        load_before = os.getloadavg()
        phases, hello = bench.run(), bench.hello()
        compared = (
            None
            if config.compare_url is None
            else compare(config, wrk, Path(scratch), str(RESULTS_DIR / started))
        )
        report = Report(
            started,
            config,
            limit,
            phases,
            hello,
            (load_before, os.getloadavg()),
            scheduler_autogroup(),
        )
    print()
    print("\n".join(report.lines()))
    data = report.as_json()
    failures = list(report.failures)
    if compared is not None:
        print()
        print("\n".join(compared.lines()))
        data["compare"] = compared.as_json()
        failures += compared.failures
    path = RESULTS_DIR / f"{started}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nresults: {path}")
    for failure in failures:
        print(f"FAILED  {failure}", file=sys.stderr)
    for inconclusive in report.inconclusive:
        print(f"INCONCLUSIVE  {inconclusive}", file=sys.stderr)
    return 1 if failures else 0


def _compare_only(config: BenchConfig, wrk: Wrk, started: str) -> int:
    """BENCH_ONLY=compare: the side-by-side table alone."""
    with tempfile.TemporaryDirectory(prefix="authgate-bench-") as scratch:
        compared = compare(config, wrk, Path(scratch), str(RESULTS_DIR / started))
    print()
    print("\n".join(compared.lines()))
    path = RESULTS_DIR / f"{started}-compare.json"
    path.write_text(json.dumps({"started": started, **compared.as_json()}, indent=2) + "\n")
    print(f"\nresults: {path}")
    for failure in compared.failures:
        print(f"FAILED  {failure}", file=sys.stderr)
    return 1 if compared.failures else 0


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    sys.exit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
