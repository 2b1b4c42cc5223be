"""The text and JSON log lines: an access line made on the fast path is the line logging's
general path makes of the same record, and every line of a request carries its id."""

import json
import logging

from entrypoints.logs import (
    ACCESS_LOGGER,
    AccessRecord,
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
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
