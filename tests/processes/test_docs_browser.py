"""/docs works in a real browser, offline, under its Content-Security-Policy: Chromium, headless,
loads the page from a running server, runs Swagger UI from the packaged files, and shows every
operation of the document, with no policy violation on its console.

Needs Debian's `chromium` (`.ci/run` installs it): skipped without it, except under CI, where
it fails."""

import subprocess
from pathlib import Path

import httpx

from tests.processes.chromium import BROWSER_TIMEOUT, HEADLESS, chromium
from tests.processes.servers import running_server


def test_the_docs_page_renders_every_operation_with_no_policy_violation(tmp_path: Path) -> None:
    browser = chromium()
    with running_server(tmp_path / "server", WORKERS="1") as server:
        document = httpx.get(f"{server.base_url}/docs/openapi.json", timeout=10).json()
        page = subprocess.run(  # noqa: S603 - the browser, with arguments of our own
            [
                browser,
                *HEADLESS,
                f"--user-data-dir={tmp_path / 'profile'}",
                "--enable-logging=stderr",
                "--v=0",
                # Time enough for the scripts to fetch the document and render it.
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"{server.base_url}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=BROWSER_TIMEOUT,
            check=False,
        )

    console = [line for line in page.stderr.splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Content Security Policy" in line], console
    assert not [line for line in console if "Uncaught" in line], console
    shown = {path for path in document["paths"] if f'data-path="{path}"' in page.stdout}
    assert shown == set(document["paths"]), f"not shown: {set(document['paths']) - shown}"
