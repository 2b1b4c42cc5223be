"""How a line looks: JSON for a log pipeline, text for a person; and the access record, made
lean since every request makes one."""

import logging
import time
from typing import Any, ClassVar

import msgspec

ACCESS_LOGGER = "authgate.access"

_encoder = msgspec.json.Encoder()


class AccessRecord(logging.LogRecord):
    """One request's access line. Made once per request, so made lean: LogRecord's constructor
    splits a path and looks up the time, thread and process on every call; this copies in what
    never changes and sets the rest. (Formatters read records through `__dict__`.)"""

    _CONSTANT: ClassVar[dict[str, Any]] = {
        "name": ACCESS_LOGGER,
        "levelno": logging.INFO,
        "levelname": "INFO",
        "pathname": __file__,
        "filename": "formats.py",
        "module": "formats",
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
        self.msg = access_message(
            fields["method"], fields["route"], fields["status"], fields["duration_ms"]
        )
        self.fields = fields


# The access line's fields, in their order on the line.
AccessFields = tuple[str, str, int, float, int | None, str]


def access_message(method: str, route: str, status: int, milliseconds: float) -> str:
    return f"{method} {route} {status} {milliseconds:.1f}ms"


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
            "message": access_message(method, route, status, milliseconds),
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
        message = access_message(method, route, status, milliseconds)
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


# The access line's text message already says these.
_IN_TEXT_MESSAGE = frozenset({"method", "route", "status", "duration_ms"})
