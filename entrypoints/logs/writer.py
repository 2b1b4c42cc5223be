"""Where lines go: standard error, written by a thread, with the request's id on each."""

import logging
import threading
from typing import TextIO

from entrypoints.logs.context import request_id


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record. A handler's filter runs where the record is
    made, on the request's own context, before the record changes threads."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__["request_id"] = request_id.get()
        return True


class BatchedWriter(logging.Handler):
    """Formats each record where it is made, which costs microseconds, and leaves the writing,
    a system call that a slow terminal or log pipe can hold up, to a thread that writes what has
    gathered every `interval` seconds in one go. Handing every record to a thread instead
    (logging's QueueHandler) cost the event loop more in wake-ups than the formatting itself."""

    def __init__(self, stream: TextIO, interval: float) -> None:
        super().__init__()
        self._stream = stream
        self._pending: list[str] = []
        self._interval = interval
        self._stopped = threading.Event()
        threading.Thread(target=self._write_every_interval, name="log-writer", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._pending.append(self.format(record))
        except Exception:  # logging's rule: a line that cannot be made never fails the caller
            self.handleError(record)

    def write_line(self, line: str) -> None:
        """A line already made. No lock: appending is atomic, and `flush` swaps the list in one
        step, so a line lands either in the batch being written or in the next one."""
        self._pending.append(line)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # made in Handler.__init__
            pending, self._pending = self._pending, []
        if pending:
            try:
                self._stream.write("\n".join(pending) + "\n")
                self._stream.flush()
            except (OSError, ValueError):
                # The stream is gone (closed at exit, a pipe whose reader left): nothing left
                # to write to, and a log line must never take the process down.
                return

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()

    def _write_every_interval(self) -> None:
        while not self._stopped.wait(self._interval):
            self.flush()
