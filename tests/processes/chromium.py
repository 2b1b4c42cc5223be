"""Debian's Chromium for the browser checks: found (skipped without it, except under CI, where
that fails), and driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
messages ending in NUL on file descriptors 3 and 4), which needs no WebSocket client."""

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

BROWSER_TIMEOUT = 120.0
HEADLESS = ("--headless", "--no-sandbox", "--disable-gpu")  # no sandbox: the tests run as root
# Puts the two descriptors it is given at 3 and 4, then becomes the command that follows them
# (a shell could not: POSIX sh names descriptors up to 9 only).
_EXEC_ON_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser check must run under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return found


class DevToolsError(RuntimeError):
    """The browser answered a command with an error, or went away."""


class DevTools:
    """A headless Chromium of its own (profile in `profile`), and its DevTools protocol."""

    def __init__(self, profile: Path, *arguments: str) -> None:
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()
        # The browser reads commands on its descriptor 3 and writes answers on 4. The browser's
        # ends are moved above both first, so that putting one in place cannot overwrite the
        # other.
        to_browser, from_browser = _above_four(to_browser), _above_four(from_browser)
        self._log = profile.parent / "chromium.log"
        self._log_file = self._log.open("wb")
        browser = [
            chromium(),
            *HEADLESS,
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            *arguments,
            "about:blank",
        ]
        command = [sys.executable, "-c", _EXEC_ON_3_AND_4, str(to_browser), str(from_browser)]
        self.process = subprocess.Popen(  # noqa: S603 - the browser, with arguments of our own
            [*command, *browser],
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._next_id = 0
        self._buffer = b""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(DevToolsError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._answers)
        self._log_file.close()

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Sends one command (to a page when `session` names one) and returns its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + BROWSER_TIMEOUT
        while True:
            answer = self._receive(deadline)
            if answer.get("id") != self._next_id:
                continue  # an event, which these checks do not follow
            if "error" in answer:
                raise DevToolsError(f"{method}: {answer['error']}")
            result: dict[str, Any] = answer.get("result", {})
            return result

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page, its promise awaited."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise DevToolsError(details.get("exception", {}).get("description") or str(details))
        return result["result"].get("value")

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise DevToolsError("the browser did not answer in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                self.process.wait(timeout=10)
                log = self._log.read_text(errors="replace").splitlines()[-20:]
                raise DevToolsError(
                    f"the browser exited ({self.process.returncode}): " + "\n".join(log)
                )
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        answer: dict[str, Any] = json.loads(message)
        return answer


def _above_four(descriptor: int) -> int:
    moved = fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, 5)
    os.close(descriptor)
    return moved
