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
import threading
import time
from contextvars import ContextVar
from typing import Any, ClassVar, TextIO

import msgspec

LOG_FORMATS = ("text", "json")
ACCESS_LOGGER = "authgate.access"
# Lines reach standard error at most this many seconds after they are made.
_WRITE_INTERVAL = 0.1

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)

_encoder = msgspec.json.Encoder()
_access = logging.getLogger(ACCESS_LOGGER)
_service = logging.getLogger("authgate")  # the access logger's parent


def note_user(identified: int) -> None:
    """The user the current request acts for, for its access line."""
    user_id.set(identified)


class AccessRecord(logging.LogRecord):
    """One request's access line. Made once per request, so made lean: LogRecord's constructor
    splits a path and looks up the time, thread and process on every call; this copies in what
    never changes and sets the rest. (Formatters read records through `__dict__`.)"""

    _CONSTANT: ClassVar[dict[str, Any]] = {
        "name": ACCESS_LOGGER,
        "levelno": logging.INFO,
        "levelname": "INFO",
        "pathname": __file__,
        "filename": "logs.py",
        "module": "logs",
        "lineno": 0,
        "funcName": None,
        "exc_info": None,
        "exc_text": None,
        "stack_info": None,
        "thread": None,
        "threadName": None,
        "processName": None,
        "process": None,
        "taskName": None,
        "args": (),
        "msecs": 0.0,
        "relativeCreated": 0.0,
    }

    def __init__(self, fields: dict[str, Any]) -> None:
        # No super().__init__(): what it would look up is in _CONSTANT.
        self.__dict__.update(self._CONSTANT)
        self.created = time.time()
        # Made here, once, and not by `%` in every formatter.
        self.msg = _access_message(
            fields["method"], fields["route"], fields["status"], fields["duration_ms"]
        )
        self.fields = fields


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


def _writes_every_line(writer: "_BatchedWriter") -> bool:
    """Whether `writer` is still the one place lines go, and nothing else wants to see the
    access records: a handler or filter added since (a test's, an embedding application's, one
    that drops health checks) must get them like any other record."""
    handlers = logging.root.handlers
    return (
        len(handlers) == 1
        and handlers[0] is writer
        and not (_access.handlers or _access.filters or _service.handlers)
    )


# The access line's fields, in their order on the line.
AccessFields = tuple[str, str, int, float, int | None, str]


def _access_message(method: str, route: str, status: int, milliseconds: float) -> str:
    return f"{method} {route} {status} {milliseconds:.1f}ms"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record. A handler's filter runs where the record is
    made, on the request's own context, before the record changes threads."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__["request_id"] = request_id.get()
        return True


class _BatchedWriter(logging.Handler):
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


class _Timestamps:
    """ISO 8601 UTC times with milliseconds. Every line needs one and datetime takes several
    microseconds to make it; within one second only the milliseconds change."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((created - second) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._timestamp = _Timestamps()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._timestamp(record.created),
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

    def access_line(self, created: float, rid: str | None, fields: AccessFields) -> str:
        """What `format` makes of an access record with these fields, made directly."""
        method, route, status, milliseconds, user, client = fields
        line: dict[str, Any] = {
            "time": self._timestamp(created),
            "level": "info",
            "logger": ACCESS_LOGGER,
            "message": _access_message(method, route, status, milliseconds),
        }
        if rid:
            line["request_id"] = rid
        line["method"] = method
        line["route"] = route
        line["status"] = status
        line["duration_ms"] = milliseconds
        line["user_id"] = user
        line["client"] = client
        return _encoder.encode(line).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self._timestamp = _Timestamps()

    def format(self, record: logging.LogRecord) -> str:
        if type(record) is AccessRecord:
            # One a request: made directly, the same line as logging's general path below
            # makes (a test holds them equal) at about half the cost.
            line = f"{self._timestamp(record.created)} INFO {ACCESS_LOGGER} {record.msg}"
            return line + self._extra(record)
        return super().format(record)

    def access_line(self, created: float, rid: str | None, fields: AccessFields) -> str:
        """What `format` makes of an access record with these fields, made directly."""
        method, route, status, milliseconds, user, client = fields
        message = _access_message(method, route, status, milliseconds)
        request = f" request_id={rid}" if rid else ""
        return (
            f"{self._timestamp(created)} INFO {ACCESS_LOGGER} {message}{request}"
            f" user_id={'-' if user is None else user} client={client}"
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return self._timestamp(record.created)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return super().formatMessage(record) + self._extra(record)

    @staticmethod
    def _extra(record: logging.LogRecord) -> str:
        """The request id and the fields the message does not already say, as `name=value`."""
        text = f" request_id={rid}" if (rid := getattr(record, "request_id", None)) else ""
        for name, value in getattr(record, "fields", {}).items():
            if name not in _IN_TEXT_MESSAGE:
                text += f" {name}={'-' if value is None else value}"
        return text


# Once configure_logging has run: the formatter and writer access lines go to directly.
_direct: tuple["JsonFormatter | TextFormatter", _BatchedWriter] | None = None

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

    global _direct  # noqa: PLW0603 - one output per process, set up here once
    handler = _BatchedWriter(sys.stderr, _WRITE_INTERVAL)
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
