"""PostgreSQL's failures named as the application names every storage's (the one edge,
adapters/sqlalchemy/failures.py): asyncpg's own errors, as the authorization pool meets them, and
SQLAlchemy's adaptation of them, as the engine raises them. And the URLs a person would write."""

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from adapters.sqlalchemy.engine import async_url
from adapters.sqlalchemy.failures import is_disconnect, storage_failure
from application.common.errors import StorageConflict, StorageUnavailable
from application.common.outcomes import UnavailableCause


class AdaptedError(Exception):
    """What SQLAlchemy's asyncpg dialect raises in place of asyncpg's error: its SQLSTATE kept."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__("message with parameters: alice@example.com")
        self.sqlstate = sqlstate


def adapted(sqlstate: str) -> DBAPIError:
    return OperationalError("SELECT 1", None, AdaptedError(sqlstate))


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (asyncpg.SerializationError("x"), "serialization failure (40001)"),
        (asyncpg.DeadlockDetectedError("x"), "deadlock (40P01)"),
        (asyncpg.LockNotAvailableError("x"), "lock wait timeout (55P03)"),
        (adapted("40P01"), "deadlock (40P01)"),
        (adapted("55P03"), "lock wait timeout (55P03)"),
    ],
    ids=["serialization", "deadlock", "lock timeout", "adapted deadlock", "adapted lock timeout"],
)
def test_transient_conflicts_are_retried(error: BaseException, named: str) -> None:
    failure = storage_failure(error)

    assert isinstance(failure, StorageConflict)
    assert str(failure) == named


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.TooManyConnectionsError("x"),
        asyncpg.ConnectionDoesNotExistError("x"),
        asyncpg.AdminShutdownError("x"),
        asyncpg.CannotConnectNowError("x"),
        asyncpg.InterfaceError("connection is closed"),
        ConnectionRefusedError(111, "refused"),
        adapted("53300"),
        adapted("08006"),
    ],
    ids=[
        "too many connections",
        "connection gone",
        "shutdown",
        "starting up",
        "closed by the driver",
        "refused",
        "adapted too many connections",
        "adapted connection failure",
    ],
)
def test_a_server_out_of_reach_is_unavailable_and_its_connection_dropped(
    error: BaseException,
) -> None:
    failure = storage_failure(error)

    assert isinstance(failure, StorageUnavailable)
    assert failure.kind == UnavailableCause.UNREACHABLE
    assert is_disconnect(error)


def test_a_statement_past_the_servers_timeout_is_a_timeout() -> None:
    """statement_timeout is the deadline (adapters/sqlalchemy/engine.py): the request's own
    timer usually fires first, and names it the same."""
    failure = storage_failure(asyncpg.QueryCanceledError("x"))

    assert isinstance(failure, StorageUnavailable)
    assert failure.kind == UnavailableCause.TIMEOUT
    assert is_disconnect(asyncpg.QueryCanceledError("x"))


def test_another_error_is_unavailable_without_its_message() -> None:
    failure = storage_failure(adapted("42P01"))

    assert isinstance(failure, StorageUnavailable)
    assert failure.kind == UnavailableCause.ERROR
    assert "alice" not in str(failure)
    assert "42P01" in str(failure)
    assert not is_disconnect(adapted("42P01"))


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:p@db.example/authgate", "postgres://u:p@db.example/authgate"],
)
def test_postgres_urls_are_served_by_asyncpg(url: str) -> None:
    parsed = async_url(url)

    assert parsed.drivername == "postgresql+asyncpg"
    assert parsed.render_as_string(hide_password=False).endswith("u:p@db.example/authgate")
