"""Cursor pagination shared by the listings: a cursor is the id of the last item a page showed,
so items created during a walk neither repeat nor push others out of it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import InvalidField

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A cursor is an id this service gave: ASCII digits, fewer than a signed 64-bit id has, so that
# no storage is asked about an id it cannot hold.
_MAX_CURSOR_DIGITS = 18
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Page(Generic[_T]):
    items: list[_T]
    next_cursor: str | None
    """None on the last page."""


def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidField("limit", f"must be between 1 and {MAX_PAGE_SIZE}.")
    return limit


def cursor_id(cursor: str | None) -> int | None:
    if not cursor:
        return None
    # str.isdigit() also accepts superscripts, which int() refuses, and other scripts' digits.
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > _MAX_CURSOR_DIGITS:
        raise InvalidField("cursor", "is not one this service gave.")
    return int(cursor)


def page_of(rows: list[_T], size: int, id_of: Callable[[_T], int | None]) -> Page[_T]:
    """`rows`: up to size + 1 items; the extra one only says that another page follows."""
    items = rows[:size]
    last_id = id_of(items[-1]) if items else None
    more = len(rows) > size and last_id is not None
    return Page(items, str(last_id) if more else None)
