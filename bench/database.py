"""A throwaway database on the benchmark's MySQL or PostgreSQL server, dropped at the end whatever
happens."""

import contextlib
from collections.abc import Iterator

from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from bench.errors import BenchError
from testkit.databases import throwaway_database

_START_HINT = (
    "is the server running? Start the local MariaDB with "
    "`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, "
    "the local PostgreSQL with `pg_ctlcluster 15 main start`"
)


@contextlib.contextmanager
def bench_database(server: URL) -> Iterator[URL]:
    """The URL of a new, empty database on `server`; the service migrates it when it starts."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(
                throwaway_database(server.set(database=None), prefix="authgate_bench")
            )
        except (SQLAlchemyError, OSError) as error:
            raise BenchError(f"no database on {server!r}: {error}; {_START_HINT}") from error
        yield url
