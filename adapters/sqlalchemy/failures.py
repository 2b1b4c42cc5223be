"""What a database failure means for the application: a transient conflict worth another run of
the unit of work, or storage that cannot answer now. Shared by the SQLAlchemy connection and the
asyncmy authorization pool, so both name the same failure the same way."""

import sqlite3

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from application.common.errors import StorageConflict, StorageUnavailable
from application.common.outcomes import UnavailableCause

# InnoDB deadlock (also how Galera reports a failed certification), lock wait timeout, and
# MariaDB's "record has changed since last read" under snapshot isolation.
_MYSQL_CONFLICTS = {1213: "deadlock", 1205: "lock wait timeout", 1020: "record changed"}
# Refused, unknown host, gone away, lost, killed, server shutting down, too many connections,
# a cluster node that is not ready.
_MYSQL_UNREACHABLE = {2002, 2003, 2005, 2006, 2013, 2055, 1927, 1053, 1040, 1047, 4031}
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
# PostgreSQL's SQLSTATEs: serialization failure, deadlock, a lock not had within lock_timeout.
_POSTGRES_CONFLICTS = {
    "40001": "serialization failure",
    "40P01": "deadlock",
    "55P03": "lock wait timeout",
}
# Any connection exception (class 08), too many connections, the server shutting down or
# starting.
_POSTGRES_UNREACHABLE_CLASS = "08"
_POSTGRES_UNREACHABLE = {"53300", "57P01", "57P02", "57P03"}
# A statement cancelled by statement_timeout: the server's side of the deadline.
_POSTGRES_STATEMENT_TIMEOUT = "57014"


def storage_failure(error: BaseException) -> StorageConflict | StorageUnavailable:
    """The application's name for a driver's or pool's failure."""
    if isinstance(error, TimeoutError):
        return StorageUnavailable(UnavailableCause.TIMEOUT, "no answer within the deadline")
    if isinstance(error, PoolTimeout):
        return StorageUnavailable(
            UnavailableCause.POOL, "no connection came free within the deadline"
        )
    if _sqlstate(error) == _POSTGRES_STATEMENT_TIMEOUT:
        return StorageUnavailable(UnavailableCause.TIMEOUT, "statement timeout (57014)")
    conflict = _conflict(error)
    if conflict is not None:
        return StorageConflict(conflict)
    code, driver_error = _mysql_code(error) or _sqlstate(error), _driver_error(error)
    if is_disconnect(error):
        return StorageUnavailable(
            UnavailableCause.UNREACHABLE, f"database error {code}" if code else "disconnected"
        )
    # Never the message: it may quote statement parameters, which can be user input.
    return StorageUnavailable(
        UnavailableCause.ERROR, type(driver_error).__name__ + (f" {code}" if code else "")
    )


def _conflict(error: BaseException) -> str | None:
    code, driver_error = _mysql_code(error), _driver_error(error)
    if code in _MYSQL_CONFLICTS:
        return f"{_MYSQL_CONFLICTS[code]} ({code})"
    sqlstate = _sqlstate(error)
    if sqlstate in _POSTGRES_CONFLICTS:
        return f"{_POSTGRES_CONFLICTS[sqlstate]} ({sqlstate})"
    if (
        isinstance(driver_error, sqlite3.OperationalError)
        and driver_error.sqlite_errorcode & 0xFF in _SQLITE_BUSY
    ):
        return "database is locked"
    return None


def is_disconnect(error: BaseException) -> bool:
    """The connection is gone or in an unknown state: it must never be used again."""
    if isinstance(error, TimeoutError | OSError) or isinstance(_driver_error(error), OSError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if _mysql_code(error) in _MYSQL_UNREACHABLE:
        return True
    sqlstate = _sqlstate(error)
    if sqlstate is not None:
        return sqlstate.startswith(_POSTGRES_UNREACHABLE_CLASS) or sqlstate in (
            *_POSTGRES_UNREACHABLE,
            _POSTGRES_STATEMENT_TIMEOUT,
        )
    # asyncpg's own word for a connection it closed, or one left busy by a cancelled call.
    return isinstance(_driver_error(error), asyncpg.InterfaceError | asyncpg.InternalClientError)


def _sqlstate(error: BaseException) -> str | None:
    """PostgreSQL's code: on asyncpg's errors, and on SQLAlchemy's adaptation of them."""
    sqlstate = getattr(_driver_error(error), "sqlstate", None)
    return sqlstate if isinstance(sqlstate, str) else None


def _driver_error(error: BaseException) -> BaseException:
    return error.orig if isinstance(error, DBAPIError) and error.orig is not None else error


def _mysql_code(error: BaseException) -> int | None:
    driver_error = _driver_error(error)
    args = getattr(driver_error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None
