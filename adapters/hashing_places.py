"""Hashing places shared by the worker processes of one server: at most as many password hashes at
once, across all of them, as there are places, however the kernel spread the connections.

Each worker hashes on a thread per core of its own, so that a worker handed every connection (the
kernel gives a burst of new connections to whichever worker accepts first: all 8 of a load
generator's went to one worker in 2 of 4 runs) can still hash on every core; without a shared
bound the workers together would then run more hashes than cores whenever the load is even, and
take the cores from the event loops serving reads. A place is an exclusive `flock` on one of the
place files: the kernel lets go of a process's locks when it dies, so a worker that crashed in
the middle of a hash leaves no place taken.
"""

import contextlib
import fcntl
import itertools
import os
import threading
from collections.abc import Iterator
from pathlib import Path


class HashingPlaces:
    """`count` places, as files in `directory`; every process that opens the same directory with
    the same count shares them. Taken by the hashing threads themselves (blocking), never on the
    event loop."""

    def __init__(self, directory: Path, count: int) -> None:
        if count < 1:
            raise ValueError(f"hashing places must be at least 1, not {count}")
        # Made again if it is gone (a clean-up of /tmp): a worker started later still hashes.
        directory.mkdir(parents=True, exist_ok=True)
        self._paths = [directory / f"hashing-place-{index}.lock" for index in range(count)]
        for path in self._paths:
            path.touch(exist_ok=True)
        # A lock belongs to an open file, not to a process: each thread opens the files itself,
        # so that two threads of one worker exclude each other as two workers do. The hashing
        # threads live as long as their worker, and their descriptors with them.
        self._opened = threading.local()
        self._turns = itertools.count()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A free place if there is one; otherwise waits for one, taken in turn, so that the
        waiting threads spread over the places."""
        files = self._files()
        for file in files:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            taken = file
            break
        else:
            taken = files[next(self._turns) % len(files)]
            fcntl.flock(taken, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(taken, fcntl.LOCK_UN)

    def _files(self) -> list[int]:
        files: list[int] | None = getattr(self._opened, "files", None)
        if files is None:
            files = [os.open(path, os.O_RDWR | os.O_CLOEXEC) for path in self._paths]
            self._opened.files = files
        return files
