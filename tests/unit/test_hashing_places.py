"""The hashing places the workers of one server share: no more hashes at once than places, across
threads and processes alike; a waiting thread takes whichever place comes free first; a process
that dies leaves no place taken; and places that are gone let hashes run instead of failing."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.hashing_places import HashingPlaces

_HOLD_PLACES = """
import sys, time
from adapters.hashing_places import HashingPlaces
places = HashingPlaces.attach(int(sys.argv[1]))
with places.held(), places.held():
    print("held", flush=True)
    time.sleep(60)
"""


def _waiting_for_a_place(places: HashingPlaces) -> tuple[threading.Thread, threading.Event]:
    """A thread that takes a place and lets go at once; the event is set once it got one."""
    entered = threading.Event()

    def take_one() -> None:
        with places.held():
            entered.set()

    thread = threading.Thread(target=take_one, daemon=True)
    thread.start()
    return thread, entered


@pytest.fixture
def places() -> Iterator[HashingPlaces]:
    made = HashingPlaces.create(2)
    try:
        yield made
    finally:
        made.remove()


def test_no_more_hashes_at_once_than_places(places: HashingPlaces) -> None:
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
    assert places.free == 2


def test_a_waiting_thread_takes_whichever_place_comes_free_first(places: HashingPlaces) -> None:
    """What one file lock a place could not do: with both places taken, the thread that waits
    gets the second place to be freed as readily as the first."""
    first_taken, second_taken = threading.Event(), threading.Event()
    free_first, free_second = threading.Event(), threading.Event()

    def hold(taken: threading.Event, free: threading.Event) -> None:
        with places.held():
            taken.set()
            free.wait(5)

    holders = [
        threading.Thread(target=hold, args=(first_taken, free_first)),
        threading.Thread(target=hold, args=(second_taken, free_second)),
    ]
    holders[0].start()
    assert first_taken.wait(5)
    holders[1].start()
    assert second_taken.wait(5)

    _, entered = _waiting_for_a_place(places)
    assert not entered.wait(0.2), "entered while both places were taken"
    free_second.set()  # the place taken last comes free first
    assert entered.wait(5), "the place that came free was not taken"
    free_first.set()
    for thread in holders:
        thread.join(5)


def test_places_another_process_holds_are_waited_for_and_a_dead_process_holds_none(
    places: HashingPlaces,
) -> None:
    holder = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _HOLD_PLACES, str(places.key)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        assert places.free == 0
        waiting, entered = _waiting_for_a_place(places)
        assert not entered.wait(0.3), "entered a place another process holds"
        holder.kill()  # no clean-up runs: the kernel undoes the dead process's holds
        assert entered.wait(5), "the dead process's places were never freed"
        waiting.join(5)
        assert places.free == 2
    finally:
        holder.kill()
        holder.wait()


def test_removed_places_let_a_waiting_hash_and_every_later_one_run(
    places: HashingPlaces, caplog: pytest.LogCaptureFixture
) -> None:
    """The server removes its places as it stops; a hash that was waiting for one, or comes
    later, runs without one rather than failing its signin."""
    release = threading.Event()

    def hold() -> None:
        with places.held():
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    while places.free:
        time.sleep(0.01)

    _, entered = _waiting_for_a_place(places)
    assert not entered.wait(0.2)
    places.remove()
    assert entered.wait(5), "a hash waiting for removed places never ran"
    release.set()  # the holders give back places that are gone: no error
    for thread in holders:
        thread.join(5)
    with places.held():
        pass
    assert "the hashing places are gone" in caplog.text
    assert HashingPlaces.attach(places.key) is None


def test_there_is_at_least_one_place() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        HashingPlaces.create(0)
