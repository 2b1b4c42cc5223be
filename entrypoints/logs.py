"""Log lines: the access log (one line per request) and the application's own events, as JSON
for a log pipeline (LOG_FORMAT=json) or as text for a person (the default). Each line of a
request carries its request id, and the access line the signed-in user when one is known.

The event loop only hands each record to a queue; a thread formats and writes it, so a slow
terminal or log pipe never holds up requests. Nothing here ever logs a request's body, headers
or query: passwords and tokens travel only there."""

import atexit
import logging
import queue
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import Any

import msgspec

LOG_FORMATS = ("text", "json")
ACCESS_LOGGER = "authgate.access"

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)

_encoder = msgspec.json.Encoder()


def note_user(identified: int) -> None:
    """The user the current request acts for, for its access line."""
    user_id.set(identified)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record. A handler's filter runs where the record is
    made, on the request's own context, before the record changes threads."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__["request_id"] = request_id.get()
        return True


class _Enqueue(QueueHandler):
    """Hands the record over as it is: formatting waits for the writer thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := getattr(record, "request_id", None):
            line["request_id"] = rid
        line.update(getattr(record, "fields", ()))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return _encoder.encode(line).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        text = super().formatMessage(record)
        if rid := getattr(record, "request_id", None):
            text += f" request_id={rid}"
        for name, value in getattr(record, "fields", {}).items():
            if name not in _IN_TEXT_MESSAGE:
                text += f" {name}={'-' if value is None else value}"
        return text


# The access line's text message already says these.
_IN_TEXT_MESSAGE = frozenset({"method", "route", "status", "duration_ms"})


def configure_logging(log_format: str) -> None:
    """Once per process, before it logs: every logger's records, the access log's included, go
    to standard error in `log_format`."""
    # What a LogRecord would otherwise look up on every call: the calling frame (a stack walk),
    # the thread and the process. None of it is in a line.
    logging._srcfile = None  # the documented switch (logging HOWTO, "Optimization")
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False

    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = _Enqueue(records)
    handler.addFilter(RequestIdFilter())
    listener = QueueListener(records, writer)
    listener.start()
    atexit.register(listener.stop)

    root = logging.getLogger()
    for previous in root.handlers[:]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for logger in (logging.getLogger("authgate"), logging.getLogger(ACCESS_LOGGER)):
        logger.disabled = False
