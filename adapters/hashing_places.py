"""Hashing places shared by the worker processes of one server: at most as many password hashes at
once, across all of them, as there are places, however the kernel spread the connections.

Each worker hashes on a thread per core of its own, so that a worker handed every connection (the
kernel gives a burst of new connections to whichever worker accepts first: all 8 of a load
generator's went to one worker in 2 of 4 runs) can still hash on every core; without a shared
bound the workers together would then run more hashes than cores whenever the load is even, and
take the cores from the event loops serving reads.

The places are the units of one System V semaphore (sysv_ipc), taken with SEM_UNDO: the kernel
gives back what a process held when it dies, so a worker that crashed in the middle of a hash
leaves no place taken, and a waiting thread takes whichever unit comes free first. (Exclusive
`flock`s on one file a place, the first design, had to wait on one particular file: when every
place was taken, the other one could come free first and idle meanwhile. On one machine that
cost 2-4% of the signins when the connections were even; on another it did not show.)
"""

import contextlib
import logging
from collections.abc import Iterator
from typing import Self

import sysv_ipc

logger = logging.getLogger("authgate")


class HashingPlaces:
    """The places of one server, shared by its workers: `create` makes them (the process that
    starts the workers), `attach` finds them by key (each worker). Taken by the hashing threads
    themselves, blocking, never on the event loop."""

    def __init__(self, semaphore: sysv_ipc.Semaphore) -> None:
        semaphore.undo = True  # the kernel gives back what a process that died held
        self._semaphore = semaphore
        self._gone_reported = False

    @classmethod
    def create(cls, count: int) -> Self:
        """`count` new places, under a key of their own (`key`), readable by this user only."""
        if count < 1:
            raise ValueError(f"hashing places must be at least 1, not {count}")
        return cls(sysv_ipc.Semaphore(None, sysv_ipc.IPC_CREX, mode=0o600, initial_value=count))

    @classmethod
    def attach(cls, key: int) -> Self | None:
        """The places `create` made under `key`; None if there are none (any more)."""
        try:
            return cls(sysv_ipc.Semaphore(key))
        except sysv_ipc.ExistentialError:
            return None

    @property
    def key(self) -> int:
        return int(self._semaphore.key)

    @property
    def free(self) -> int:
        """How many places are free now (for tests and diagnostics: it may change at once)."""
        return int(self._semaphore.value)

    def remove(self) -> None:
        """Removes the places: a thread waiting for one hashes at once, and every later hash
        runs without one."""
        with contextlib.suppress(sysv_ipc.ExistentialError):
            self._semaphore.remove()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A free place, waiting for the first that comes free. If the places were removed (the
        server is stopping, or someone removed them by hand), the hash runs without one: the
        worker's own hashing threads still bound it."""
        if not self._take():
            yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(sysv_ipc.ExistentialError):
                self._semaphore.release()

    def _take(self) -> bool:
        while True:
            try:
                self._semaphore.acquire()
            except sysv_ipc.ExistentialError:
                if not self._gone_reported:
                    self._gone_reported = True
                    logger.warning("the hashing places are gone: hashing without them")
                return False
            except sysv_ipc.Error as error:
                # The base class alone is what a signal that interrupted the wait raises (EINTR);
                # its subclasses (permissions, ...) are real failures.
                if type(error) is not sysv_ipc.Error:
                    raise
                continue
            return True
