"""What the current request's lines carry: its id, and the user it acts for once known."""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)


def note_user(identified: int) -> None:
    """The user the current request acts for, for its access line."""
    user_id.set(identified)
