"""UnitOfWork: what a committed unit of work wrote, the next one reads; on SQL storage a rollback
forgets what was not committed. (In-memory writes take effect at once: that adapter promises no
rollback, because no use case writes and then fails in one unit of work.)"""

import pytest

from domain.values import Username
from tests.contracts.storage_under_test import StorageUnderTest, new_user
from tests.storages import SQL_STORAGES, STORAGES


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
async def test_what_one_unit_of_work_commits_the_next_reads(storage: StorageUnderTest) -> None:
    async with storage.unit_of_work() as ports:
        await ports.users.add(new_user("alice"))
        await ports.uow.commit()

    async with storage.unit_of_work() as ports:
        assert await ports.users.find_by_username(Username("alice")) is not None


@pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)
async def test_a_rollback_forgets_the_writes_and_the_unit_of_work_goes_on(
    storage: StorageUnderTest,
) -> None:
    async with storage.unit_of_work() as ports:
        await ports.users.add(new_user("alice"))
        await ports.uow.rollback()
        await ports.users.add(new_user("bob"))

    async with storage.unit_of_work() as ports:
        assert await ports.users.find_by_username(Username("alice")) is None
        assert await ports.users.find_by_username(Username("bob")) is not None


@pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)
async def test_a_unit_of_work_ended_without_a_commit_leaves_nothing(
    storage: StorageUnderTest,
) -> None:
    async def fail_half_way() -> None:
        async with storage.unit_of_work() as ports:
            await ports.users.add(new_user("alice"))
            raise RuntimeError("the use case failed half way")

    with pytest.raises(RuntimeError):
        await fail_half_way()

    assert await storage.backdoor.count_users() == 0
