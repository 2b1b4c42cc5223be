"""The machine's ceiling for signins: one bcrypt verification costs one hash, and the service
can run at most one hash per core at a time."""

import os
import time
from dataclasses import dataclass

import bcrypt

_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class BcryptLimit:
    cost: int
    cores: int
    hash_seconds: float

    @property
    def signins_per_second(self) -> float:
        return self.cores / self.hash_seconds


def measure_bcrypt(cost: int) -> BcryptLimit:
    """The average of several hashes, timed in this process before any load starts, so that
    nothing else competes for the core."""
    salt = bcrypt.gensalt(cost)
    password = b"bench-password-1"
    bcrypt.hashpw(password, salt)  # the first call pays for loading and warming the extension
    started = time.perf_counter()
    for _ in range(_ROUNDS):
        bcrypt.hashpw(password, salt)
    elapsed = time.perf_counter() - started
    return BcryptLimit(cost, len(os.sched_getaffinity(0)), elapsed / _ROUNDS)
