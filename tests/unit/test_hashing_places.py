"""The hashing places the workers of one server share: no more hashes at once than places, across
threads and processes alike, and a process that dies leaves no place taken."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from adapters.hashing_places import HashingPlaces

_HOLD_A_PLACE = """
import sys, time
from pathlib import Path
from adapters.hashing_places import HashingPlaces
with HashingPlaces(Path(sys.argv[1]), 1).held():
    print("held", flush=True)
    time.sleep(60)
"""


def test_no_more_hashes_at_once_than_places(tmp_path: Path) -> None:
    places = HashingPlaces(tmp_path, 2)
    inside, most, lock = 0, 0, threading.Lock()

    def hash_() -> None:
        nonlocal inside, most
        for _ in range(5):
            with places.held():
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.01)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=hash_) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert most == 2
    assert inside == 0


def test_a_place_another_process_holds_is_waited_for_and_a_dead_process_holds_none(
    tmp_path: Path,
) -> None:
    holder = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _HOLD_A_PLACE, str(tmp_path)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        places = HashingPlaces(tmp_path, 1)
        entered = threading.Event()

        def hash_() -> None:
            with places.held():
                entered.set()

        waiting = threading.Thread(target=hash_, daemon=True)
        waiting.start()
        assert not entered.wait(0.3), "entered a place another process holds"
        holder.kill()  # no clean-up runs: the kernel lets go of the dead process's lock
        assert entered.wait(5), "the dead process's place was never freed"
    finally:
        holder.kill()
        holder.wait()


def test_there_is_at_least_one_place(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        HashingPlaces(tmp_path, 0)
