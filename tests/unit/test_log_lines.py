"""The text and JSON log lines: an access line made on either fast path (a record formatted
directly, or no record at all) is the line logging's general path makes of the same record, and
every line of a request carries its id."""

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from entrypoints import logs
from entrypoints.logs import (
    ACCESS_LOGGER,
    AccessFields,
    AccessRecord,
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    configure_logging,
    log_access,
    request_id,
)

FIELDS = {
    "method": "GET",
    "route": "/api/test/user",
    "status": 200,
    "duration_ms": 1.234,
    "user_id": 7,
    "client": "127.0.0.1",
}


def _record(**changes: object) -> AccessRecord:
    token = request_id.set("req-1")
    try:
        record = AccessRecord({**FIELDS, **changes})
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    return record


def test_the_text_access_line_is_the_line_of_loggings_general_path() -> None:
    formatter = TextFormatter()
    for record in (_record(), _record(user_id=None), _record(status=503, duration_ms=5000.0)):
        assert formatter.format(record) == logging.Formatter.format(formatter, record)


def test_the_direct_access_line_is_the_line_of_the_record() -> None:
    for formatter in (TextFormatter(), JsonFormatter()):
        for fields in (FIELDS, {**FIELDS, "user_id": None}, {**FIELDS, "duration_ms": 5000.0}):
            for rid in ("req-1", None):
                record = _record(**fields)
                record.__dict__["request_id"] = rid
                line = formatter.access_line(record.created, rid, _access_fields(fields))
                assert line == formatter.format(record)


def _access_fields(fields: dict[str, Any]) -> AccessFields:
    return (
        fields["method"],
        fields["route"],
        fields["status"],
        fields["duration_ms"],
        fields["user_id"],
        fields["client"],
    )


@pytest.fixture
def configured_output() -> Iterator[io.StringIO]:
    """configure_logging's output, into a buffer; the test process's logging as it was after."""
    root = logging.getLogger()
    handlers, level, direct = root.handlers[:], root.level, logs._direct
    configure_logging("json")
    [writer] = root.handlers
    output = io.StringIO()
    writer._stream = output  # type: ignore[attr-defined]
    try:
        yield output
    finally:
        writer.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        logs._direct = direct


def test_access_lines_go_straight_to_the_writer_until_another_handler_is_added(
    configured_output: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[AccessRecord] = []

    class Counted(AccessRecord):
        def __init__(self, fields: dict[str, Any]) -> None:
            super().__init__(fields)
            made.append(self)

    monkeypatch.setattr(logs, "AccessRecord", Counted)
    token = request_id.set("req-9")
    try:
        with _writer_alone():
            log_access("GET", "/api/test/all", 200, 0.0012, "127.0.0.1")
        assert made == [], "no record was made"
        logging.getLogger().handlers[0].flush()
        [line] = [json.loads(text) for text in configured_output.getvalue().splitlines()]
        assert (line["request_id"], line["route"], line["duration_ms"]) == (
            "req-9",
            "/api/test/all",
            1.2,
        )

        added = _Collecting()
        logging.getLogger().addHandler(added)
        log_access("GET", "/api/test/user", 403, 0.002, "127.0.0.1")
        [record] = added.records
        assert record.getMessage() == "GET /api/test/user 403 2.0ms"
    finally:
        request_id.reset(token)


def test_a_filter_on_the_access_logger_sees_every_line(configured_output: io.StringIO) -> None:
    access = logging.getLogger(ACCESS_LOGGER)

    def no_health_checks(record: logging.LogRecord) -> bool:
        return "/healthz" not in record.getMessage()

    access.addFilter(no_health_checks)
    try:
        with _writer_alone():
            log_access("GET", "/healthz", 200, 0.001, "127.0.0.1")
            log_access("GET", "/api/test/all", 200, 0.001, "127.0.0.1")
    finally:
        access.removeFilter(no_health_checks)
    logging.getLogger().handlers[0].flush()

    routes = [json.loads(line)["route"] for line in configured_output.getvalue().splitlines()]
    assert routes == ["/api/test/all"]


def test_a_quieted_access_logger_makes_no_line(configured_output: io.StringIO) -> None:
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(logging.WARNING)
    try:
        with _writer_alone():
            log_access("GET", "/api/test/all", 200, 0.001, "127.0.0.1")
    finally:
        access.setLevel(logging.NOTSET)
    logging.getLogger().handlers[0].flush()
    assert configured_output.getvalue() == ""


class _Collecting(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _writer_alone() -> Iterator[None]:
    """configure_logging's writer as the only handler, as in a served process: pytest adds its
    own capturing handlers around each test."""
    root = logging.getLogger()
    others = root.handlers[1:]
    del root.handlers[1:]
    try:
        yield
    finally:
        root.handlers.extend(others)


def test_the_text_access_line_says_what_happened_to_whom() -> None:
    line = TextFormatter().format(_record(user_id=None))

    assert line.endswith(
        f" INFO {ACCESS_LOGGER} GET /api/test/user 200 1.2ms request_id=req-1 user_id=- "
        "client=127.0.0.1"
    )


def test_the_json_access_line_has_every_field() -> None:
    line = json.loads(JsonFormatter().format(_record()))

    assert line["message"] == "GET /api/test/user 200 1.2ms"
    assert line["request_id"] == "req-1"
    assert {name: line[name] for name in FIELDS} == FIELDS
    assert line["logger"] == ACCESS_LOGGER
    assert line["level"] == "info"
