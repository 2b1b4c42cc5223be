"""Log lines: the access log (one line per request) and the application's own events, as JSON
for a log pipeline (LOG_FORMAT=json) or as text for a person (the default). Each line of a
request carries its request id, and the access line the signed-in user when one is known.

The event loop only formats each line; a thread writes them, so a slow terminal or log pipe
never holds up requests. Nothing here ever logs a request's body, headers
or query: passwords and tokens travel only there.

The access line is made once per request, so it has a fast path: while configure_logging's
writer is the process's one output, `log_access` formats the line itself and hands it to the
writer, skipping the record, the logger hierarchy and the handler's lock: 3.5 us a line instead
of 7.4 in text, 4.6 instead of 9.6 in JSON. It is the same line (tests/unit/test_log_lines.py
holds them equal), and the access logger's level still decides whether it is made. Once another
handler or a filter on the access logger is added (a test's, an embedding application's),
access lines are records again, which any handler or filter can take."""

import logging
import sys
import time

from entrypoints.logs.context import note_user, request_id, user_id
from entrypoints.logs.formats import (
    ACCESS_LOGGER,
    AccessFields,
    AccessRecord,
    JsonFormatter,
    TextFormatter,
)
from entrypoints.logs.writer import BatchedWriter, RequestIdFilter

__all__ = [
    "ACCESS_LOGGER",
    "LOG_FORMATS",
    "AccessFields",
    "AccessRecord",
    "JsonFormatter",
    "RequestIdFilter",
    "TextFormatter",
    "configure_logging",
    "log_access",
    "note_user",
    "request_id",
    "user_id",
]

LOG_FORMATS = ("text", "json")
# Lines reach standard error at most this many seconds after they are made.
_WRITE_INTERVAL = 0.1

_access = logging.getLogger(ACCESS_LOGGER)
_service = logging.getLogger("authgate")  # the access logger's parent


def log_access(method: str, route: str, status: int, seconds: float, client: str) -> None:
    """The current request's access line, at INFO on the access logger."""
    if not _access.isEnabledFor(logging.INFO):
        return
    milliseconds = round(seconds * 1000, 3)
    if _direct is not None and _writes_every_line(_direct[1]):
        formatter, writer = _direct
        writer.write_line(
            formatter.access_line(
                time.time(),
                request_id.get(),
                (method, route, status, milliseconds, user_id.get(), client),
            )
        )
        return
    _access.handle(
        AccessRecord(
            {
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": milliseconds,
                "user_id": user_id.get(),
                "client": client,
            }
        )
    )


def _writes_every_line(writer: BatchedWriter) -> bool:
    """Whether `writer` is still the one place lines go, and nothing else wants to see the
    access records: a handler or filter added since (a test's, an embedding application's, one
    that drops health checks) must get them like any other record."""
    handlers = logging.root.handlers
    return (
        len(handlers) == 1
        and handlers[0] is writer
        and not (_access.handlers or _access.filters or _service.handlers)
    )


# Once configure_logging has run: the formatter and writer access lines go to directly.
_direct: tuple[JsonFormatter | TextFormatter, BatchedWriter] | None = None


def configure_logging(log_format: str) -> None:
    """Once per process, before it logs: every logger's records, the access log's included, go
    to standard error in `log_format`."""
    # What a LogRecord would otherwise look up on every call: the calling frame (a stack walk),
    # the thread and the process. None of it is in a line.
    logging._srcfile = None  # the documented switch (logging HOWTO, "Optimization")
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False

    global _direct  # noqa: PLW0603 - one output per process, set up here once
    handler = BatchedWriter(sys.stderr, _WRITE_INTERVAL)
    formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    _direct = (formatter, handler)

    root = logging.getLogger()
    for previous in root.handlers[:]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for logger in (logging.getLogger("authgate"), logging.getLogger(ACCESS_LOGGER)):
        logger.disabled = False
