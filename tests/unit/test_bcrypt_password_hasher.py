import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import bcrypt
import pytest

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.hashing_places import HashingPlaces
from application.common.errors import HashingUnavailable
from domain.values import PasswordHash, RawPassword
from tests.fakes import CountingMetrics
from tests.unit.authgate import PASSWORD


class CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


async def test_hash_then_verify_the_same_password_is_true(hasher: BcryptPasswordHasher) -> None:
    stored = await hasher.hash(RawPassword(PASSWORD))
    assert stored.value.startswith("$2b$04$")
    assert await hasher.verify(PASSWORD, stored)


async def test_hash_of_a_non_ascii_password_verifies(hasher: BcryptPasswordHasher) -> None:
    password = "pässwörd ✓ 密码"
    assert await hasher.verify(password, await hasher.hash(RawPassword(password)))


async def test_verify_a_wrong_password_is_false(hasher: BcryptPasswordHasher) -> None:
    stored = await hasher.hash(RawPassword(PASSWORD))
    assert not await hasher.verify(PASSWORD + "!", stored)
    assert not await hasher.verify(PASSWORD.upper(), stored)
    assert not await hasher.verify("", stored)


async def test_same_password_hashes_differently_each_time(hasher: BcryptPasswordHasher) -> None:
    first = await hasher.hash(RawPassword(PASSWORD))
    second = await hasher.hash(RawPassword(PASSWORD))
    assert first != second


async def test_verify_without_a_stored_hash_is_false(hasher: BcryptPasswordHasher) -> None:
    assert not await hasher.verify(PASSWORD, None)
    assert not await hasher.verify("decoy password for unknown users", None)


async def test_verify_a_password_over_72_bytes_is_false_even_against_its_own_prefix(
    hasher: BcryptPasswordHasher,
) -> None:
    prefix = "a" * 72
    stored = await hasher.hash(RawPassword(prefix))
    assert not await hasher.verify(prefix + "b", stored)
    assert not await hasher.verify("é" * 100, None)


@pytest.mark.parametrize(
    "corrupt",
    ["not a bcrypt hash", "$2b$04$tooshort", "$2b$99$" + "a" * 53, "$argon2id$v=19$m=65536"],
)
async def test_verify_against_a_corrupt_stored_hash_is_false_not_an_error(
    hasher: BcryptPasswordHasher, corrupt: str
) -> None:
    assert not await hasher.verify(PASSWORD, PasswordHash(corrupt))


async def test_hashing_and_verifying_run_on_the_executor_off_the_event_loop() -> None:
    with CountingExecutor() as executor:
        hasher = BcryptPasswordHasher(4, executor, slots=1, queue_timeout=60)
        stored = await hasher.hash(RawPassword(PASSWORD))
        await hasher.verify(PASSWORD, stored)
        assert executor.submitted == 2


async def test_needs_rehash_only_for_a_hash_of_another_cost(
    executor: ThreadPoolExecutor,
) -> None:
    cost_4 = BcryptPasswordHasher(4, executor, slots=2, queue_timeout=60)
    cost_5 = BcryptPasswordHasher(5, executor, slots=2, queue_timeout=60)
    hashed_at_4 = await cost_4.hash(RawPassword(PASSWORD))
    hashed_at_5 = await cost_5.hash(RawPassword(PASSWORD))
    assert not cost_4.needs_rehash(hashed_at_4)
    assert cost_4.needs_rehash(hashed_at_5)
    assert cost_5.needs_rehash(hashed_at_4)
    assert not cost_5.needs_rehash(hashed_at_5)
    assert await cost_4.verify(PASSWORD, hashed_at_5)


def test_needs_rehash_for_an_older_bcrypt_variant_or_garbage(
    hasher: BcryptPasswordHasher,
) -> None:
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4, prefix=b"2a")).decode()
    assert hasher.needs_rehash(PasswordHash(legacy))
    assert hasher.needs_rehash(PasswordHash("garbage"))


@pytest.mark.parametrize("cost", [3, 32, -1])
def test_cost_outside_bcrypts_range_is_refused(executor: ThreadPoolExecutor, cost: int) -> None:
    with pytest.raises(ValueError, match="cost"):
        BcryptPasswordHasher(cost, executor, slots=1, queue_timeout=60)


class HeldExecutor(ThreadPoolExecutor):
    """Runs nothing until the test lets go, so a hashing slot stays taken for as long as the
    test needs, whatever the machine's speed."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.released = threading.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def held() -> Any:
            self.released.wait()
            return fn(*args, **kwargs)

        return super().submit(held)


async def test_a_hash_that_finds_no_free_slot_in_time_is_refused_as_busy() -> None:
    with HeldExecutor() as executor:
        hasher = BcryptPasswordHasher(4, executor, slots=1, queue_timeout=0.05)
        first = asyncio.create_task(hasher.hash(RawPassword(PASSWORD)))
        await asyncio.sleep(0)  # the first takes the only slot
        try:
            with pytest.raises(HashingUnavailable):
                await hasher.verify(PASSWORD, None)
            with pytest.raises(HashingUnavailable):
                await hasher.hash(RawPassword(PASSWORD))
        finally:
            executor.released.set()

        stored = await first
        assert await hasher.verify(PASSWORD, stored)  # the slot came back


class WaitRecordingMetrics(CountingMetrics):
    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def hashing_wait(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_a_hash_waits_for_one_of_the_servers_hashing_places_and_reports_the_wait(
    executor: ThreadPoolExecutor,
) -> None:
    # Another worker of the server hashes in the only place: this worker's thread waits for it.
    places = HashingPlaces.create(1)
    metrics = WaitRecordingMetrics()
    try:
        other_worker = HashingPlaces.attach(places.key)
        assert other_worker is not None
        hasher = BcryptPasswordHasher(
            4, executor, slots=2, queue_timeout=5, metrics=metrics, places=places
        )
        with other_worker.held():
            hashing = asyncio.create_task(hasher.hash(RawPassword(PASSWORD)))
            done, _ = await asyncio.wait({hashing}, timeout=0.3)
            assert not done, "hashed while the server's only place was taken"
        stored = await asyncio.wait_for(hashing, 5)
        assert metrics.waits[0] >= 0.3  # the place's wait, not only the free thread's
        assert await hasher.verify(PASSWORD, stored)
        assert metrics.waits[1] < 0.3
        assert places.free == 1
    finally:
        places.remove()
