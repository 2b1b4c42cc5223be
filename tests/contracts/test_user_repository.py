"""UserRepository: accounts stored with their roles, unique ignoring case, on every adapter."""

import pytest

from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.roles import Role
from domain.values import Email, PasswordHash, Username
from tests.contracts.storage_under_test import A_HASH, StorageUnderTest, add_user, new_user
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)


async def test_a_user_is_found_by_username_in_any_case_with_all_its_roles(
    storage: StorageUnderTest,
) -> None:
    stored = await add_user(storage, new_user("Alice", roles=frozenset({Role.USER, Role.ADMIN})))

    async with storage.unit_of_work() as ports:
        found = await ports.users.find_by_username(Username("aLICE"))

    assert found == stored
    assert (stored.username.value, stored.email.value, stored.password_hash) == (
        "Alice",
        "Alice@example.com",
        A_HASH,
    )
    assert stored.roles == {Role.USER, Role.ADMIN}


async def test_an_unknown_username_finds_no_one(storage: StorageUnderTest) -> None:
    await add_user(storage)

    async with storage.unit_of_work() as ports:
        assert await ports.users.find_by_username(Username("bob")) is None


async def test_each_user_gets_an_id_of_its_own(storage: StorageUnderTest) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))

    assert alice.id != bob.id


async def test_a_username_taken_in_another_case_is_refused(storage: StorageUnderTest) -> None:
    await add_user(storage, new_user("alice", "alice@example.com"))

    with pytest.raises(UsernameAlreadyExists):
        await add_user(storage, new_user("ALICE", "other@example.com"))
    assert await storage.backdoor.count_users() == 1


async def test_an_email_taken_in_another_case_is_refused(storage: StorageUnderTest) -> None:
    await add_user(storage, new_user("alice", "alice@example.com"))

    with pytest.raises(EmailAlreadyExists):
        await add_user(storage, new_user("bob", "Alice@EXAMPLE.com"))
    assert await storage.backdoor.count_users() == 1


async def test_a_duplicate_is_told_by_the_index_not_by_the_value(
    storage: StorageUnderTest,
) -> None:
    # A SQL driver's message quotes the duplicate value; a username that reads like the other
    # index's name must not confuse which one refused the row.
    await add_user(storage, new_user("email_key", "first@example.com"))

    with pytest.raises(UsernameAlreadyExists):
        await add_user(storage, new_user("EMAIL_KEY", "second@example.com"))


@pytest.mark.parametrize(
    ("username", "email", "taken"),
    [
        ("bob", "bob@example.com", (False, False)),
        ("ALICE", "bob@example.com", (True, False)),
        ("bob", "ALICE@example.com", (False, True)),
        ("Alice", "alice@EXAMPLE.com", (True, True)),
    ],
)
async def test_find_taken_tells_which_of_username_and_email_is_in_use_in_any_case(
    storage: StorageUnderTest, username: str, email: str, taken: tuple[bool, bool]
) -> None:
    await add_user(storage, new_user("alice", "alice@example.com"))

    async with storage.unit_of_work() as ports:
        assert await ports.users.find_taken(Username(username), Email(email)) == taken


async def test_a_new_password_hash_replaces_the_old_one(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    new_hash = PasswordHash("$2b$05$" + "y" * 53)

    async with storage.unit_of_work() as ports:
        await ports.users.set_password_hash(user.id, new_hash)
    async with storage.unit_of_work() as ports:
        found = await ports.users.find_by_username(user.username)

    assert found is not None
    assert found.password_hash == new_hash
