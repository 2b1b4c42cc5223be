"""SecondFactorStore on every adapter: one factor a user, pending until confirmed; a step, and a
recovery code, used at most once, also by concurrent units of work; everything gone with the
user."""

import asyncio
from datetime import timedelta

import pytest

from application.ports.user_listing import UserSearch
from domain.second_factor import NEVER_USED, TotpFactor
from tests.contracts.storage_under_test import NOW, StorageUnderTest, add_user, new_user
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

STEP = 59_000_000
CONCURRENT = 50


def factor(user_id: int, sealed: str = "v1.sealed") -> TotpFactor:
    return TotpFactor(user_id=user_id, sealed_secret=sealed, created_at=NOW)


async def enrol(storage: StorageUnderTest, pending: TotpFactor) -> bool:
    async with storage.unit_of_work() as ports:
        return await ports.second_factors.enrol(pending)


async def confirm(storage: StorageUnderTest, user_id: int, step: int = STEP) -> bool:
    async with storage.unit_of_work() as ports:
        return await ports.second_factors.confirm(user_id, step, NOW)


async def use_step(storage: StorageUnderTest, user_id: int, step: int) -> bool:
    async with storage.unit_of_work() as ports:
        return await ports.second_factors.use_step(user_id, step)


async def find(storage: StorageUnderTest, user_id: int) -> TotpFactor | None:
    async with storage.unit_of_work() as ports:
        return await ports.second_factors.find(user_id)


async def use_code(storage: StorageUnderTest, user_id: int, digest: str) -> bool:
    async with storage.unit_of_work() as ports:
        return await ports.second_factors.use_recovery_code(user_id, digest)


async def codes_left(storage: StorageUnderTest, user_id: int) -> int:
    async with storage.unit_of_work() as ports:
        return await ports.second_factors.recovery_codes_left(user_id)


async def confirmed_user(storage: StorageUnderTest, name: str = "alice") -> int:
    user = await add_user(storage, new_user(name))
    assert await enrol(storage, factor(user.id))
    assert await confirm(storage, user.id)
    return user.id


async def test_a_pending_factor_is_found_as_stored_and_the_user_unchanged(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)

    assert await enrol(storage, factor(user.id))

    assert await find(storage, user.id) == factor(user.id)
    async with storage.unit_of_work() as ports:
        stored = await ports.users.get(user.id)
    assert stored is not None
    assert stored.second_factor is False


async def test_a_new_enrolment_replaces_a_pending_one_but_not_a_confirmed_one(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    assert await enrol(storage, factor(user.id, "v1.first"))
    assert await enrol(storage, factor(user.id, "v1.second"))
    found = await find(storage, user.id)
    assert found is not None
    assert found.sealed_secret == "v1.second"
    assert await confirm(storage, user.id)

    assert not await enrol(storage, factor(user.id, "v1.third"))

    found = await find(storage, user.id)
    assert found is not None
    assert (found.sealed_secret, found.confirmed, found.last_used_step) == ("v1.second", True, STEP)


async def test_confirming_marks_the_user_and_uses_the_step(storage: StorageUnderTest) -> None:
    user_id = await confirmed_user(storage)

    async with storage.unit_of_work() as ports:
        user = await ports.users.get(user_id)
        listed = await ports.user_reader.search(UserSearch())
    assert user is not None
    assert user.second_factor is True
    assert [summary.second_factor for summary in listed] == [True]
    assert not await confirm(storage, user_id, STEP + 1)  # confirmed already
    assert not await use_step(storage, user_id, STEP)


async def test_nothing_is_confirmed_or_used_without_a_factor(storage: StorageUnderTest) -> None:
    user = await add_user(storage)

    assert not await confirm(storage, user.id)
    assert not await use_step(storage, user.id, STEP)
    assert await enrol(storage, factor(user.id))
    assert not await use_step(storage, user.id, STEP)  # pending: no code signs in yet
    assert await find(storage, user.id) == factor(user.id)


async def test_the_last_used_step_only_moves_forward(storage: StorageUnderTest) -> None:
    user_id = await confirmed_user(storage)

    outcomes = [
        await use_step(storage, user_id, step)
        for step in (STEP, STEP - 1, STEP + 2, STEP + 1, STEP + 2, STEP + 3)
    ]

    assert outcomes == [False, False, True, False, False, True]
    found = await find(storage, user_id)
    assert found is not None
    assert found.last_used_step == STEP + 3


async def test_of_fifty_concurrent_uses_of_one_step_exactly_one_wins(
    storage: StorageUnderTest,
) -> None:
    user_id = await confirmed_user(storage)

    outcomes = await asyncio.gather(
        *(use_step(storage, user_id, STEP + 1) for _ in range(CONCURRENT))
    )

    assert sorted(outcomes) == [False] * (CONCURRENT - 1) + [True]


async def test_a_recovery_code_is_used_once_and_only_by_its_user(storage: StorageUnderTest) -> None:
    alice = await confirmed_user(storage, "alice")
    bob = await confirmed_user(storage, "bob")
    async with storage.unit_of_work() as ports:
        await ports.second_factors.replace_recovery_codes(alice, ["a" * 64, "b" * 64])
        await ports.second_factors.replace_recovery_codes(bob, ["c" * 64])

    assert not await use_code(storage, bob, "a" * 64)
    assert await use_code(storage, alice, "a" * 64)
    assert not await use_code(storage, alice, "a" * 64)
    assert (await codes_left(storage, alice), await codes_left(storage, bob)) == (1, 1)


async def test_of_fifty_concurrent_uses_of_one_recovery_code_exactly_one_wins(
    storage: StorageUnderTest,
) -> None:
    user_id = await confirmed_user(storage)
    async with storage.unit_of_work() as ports:
        await ports.second_factors.replace_recovery_codes(user_id, ["d" * 64, "e" * 64])

    outcomes = await asyncio.gather(
        *(use_code(storage, user_id, "d" * 64) for _ in range(CONCURRENT))
    )

    assert sorted(outcomes) == [False] * (CONCURRENT - 1) + [True]
    assert await codes_left(storage, user_id) == 1


async def test_new_recovery_codes_replace_the_old(storage: StorageUnderTest) -> None:
    user_id = await confirmed_user(storage)
    async with storage.unit_of_work() as ports:
        await ports.second_factors.replace_recovery_codes(user_id, ["a" * 64])
        await ports.second_factors.replace_recovery_codes(user_id, ["b" * 64, "c" * 64])

    assert not await use_code(storage, user_id, "a" * 64)
    assert await codes_left(storage, user_id) == 2


async def test_removing_takes_the_factor_and_the_codes(storage: StorageUnderTest) -> None:
    user_id = await confirmed_user(storage)
    pending = await add_user(storage, new_user("bob"))
    assert await enrol(storage, factor(pending.id))
    async with storage.unit_of_work() as ports:
        await ports.second_factors.replace_recovery_codes(user_id, ["a" * 64])

    async with storage.unit_of_work() as ports:
        removed = await ports.second_factors.remove(user_id)
        removed_pending = await ports.second_factors.remove(pending.id)
        removed_again = await ports.second_factors.remove(user_id)
        user = await ports.users.get(user_id)

    assert (removed, removed_pending, removed_again) == (True, False, False)
    assert await find(storage, user_id) is None
    assert await find(storage, pending.id) is None
    assert await codes_left(storage, user_id) == 0
    assert user is not None
    assert user.second_factor is False


async def test_a_users_second_factor_goes_with_the_user(storage: StorageUnderTest) -> None:
    user_id = await confirmed_user(storage)
    async with storage.unit_of_work() as ports:
        await ports.second_factors.replace_recovery_codes(user_id, ["a" * 64])

    await storage.backdoor.delete_user(user_id)

    assert await find(storage, user_id) is None
    assert await codes_left(storage, user_id) == 0
    assert await storage.backdoor.second_factor_at_rest(user_id) == []


async def test_a_factor_starts_never_used(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    assert await enrol(storage, factor(user.id))

    found = await find(storage, user.id)

    assert found is not None
    assert found.last_used_step == NEVER_USED
    assert found.created_at == NOW
    assert found.created_at.utcoffset() == timedelta(0)
