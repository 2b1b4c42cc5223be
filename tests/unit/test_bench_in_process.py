"""`python -m bench.in_process`: the figures it prints come from requests the application
answered 200, and its profile is one pstats reads."""

import os
import pstats
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "RATE_LIMITS", "BCRYPT_COST", "REDIS_URL"}
    }
    environment["DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(  # noqa: S603 - this interpreter, the bench's own module
        [sys.executable, "-m", "bench.in_process", "--rounds", "2", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_signin_is_measured_on_an_account_it_signs_up_and_profiled(tmp_path: Path) -> None:
    profile = tmp_path / "signin.prof"
    run = _run(tmp_path, "--signin", "--requests", "20", "--profile", str(profile))

    assert run.returncode == 0, run.stderr
    assert re.fullmatch(
        r"POST /api/auth/signin: \d+\.\d us of the event loop's thread a request "
        r"\(best of 2 x 20\)\n",
        run.stdout,
    )
    functions = {name for _, _, name in pstats.Stats(str(profile)).stats}  # type: ignore[attr-defined]
    assert "execute" in functions  # the use case ran under the profiler


def test_a_read_that_is_not_answered_200_is_refused_not_measured(tmp_path: Path) -> None:
    run = _run(tmp_path, "--path", "/api/test/user", "--requests", "20")

    assert run.returncode == 1
    assert "answered [403], not only 200" in run.stderr
