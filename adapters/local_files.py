"""The service's local files hold secrets (password hashes, addresses and the audit trail in the
SQLite database, live links in outbox mail, the JWT secret): what Authgate creates is readable by
its own user alone, whatever the umask. A directory that already exists is left as it is (it is
the operator's, perhaps a mounted volume); the files in it are private all the same."""

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger("authgate")

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
# SQLite gives its rollback journal and WAL files the database file's own permissions.
_SQLITE_COMPANIONS = ("-journal", "-wal", "-shm")


def private_directory(path: Path) -> None:
    """Creates the directory, and each missing parent, 0700."""
    missing = [directory for directory in (path, *path.parents) if not directory.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIRECTORY)
        except FileExistsError:  # another worker was quicker
            continue
        directory.chmod(PRIVATE_DIRECTORY)  # exactly, whatever the umask took away


def private_file(path: Path) -> int:
    """Opens a new file for writing, 0600; raises FileExistsError if there is one already."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    os.fchmod(descriptor, PRIVATE_FILE)
    return descriptor


def private_sqlite_database(path: Path) -> None:
    """Creates the database file (empty is a valid, empty SQLite database) 0600 before SQLite
    opens it, so that its journal and WAL files are 0600 too; one an earlier version left
    readable by others is made private."""
    private_directory(path.parent)
    try:
        os.close(private_file(path))
    except FileExistsError:
        for own in (path, *(path.with_name(path.name + end) for end in _SQLITE_COMPANIONS)):
            _make_private(own)


def _make_private(path: Path) -> None:
    try:
        if stat.S_IMODE(path.stat().st_mode) & ~PRIVATE_FILE:
            path.chmod(PRIVATE_FILE)
    except FileNotFoundError:
        return
    except OSError as error:
        logger.warning("%s is readable by other users and cannot be made private: %s", path, error)
