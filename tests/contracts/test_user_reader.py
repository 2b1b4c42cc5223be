"""UserReader: the administrators' listing, filtered and paged by id, without password hashes,
on every adapter."""

import dataclasses
from datetime import timedelta

import pytest

from application.ports.user_listing import UserSearch, UserSummary
from domain.roles import Role
from tests.contracts.storage_under_test import NOW, StorageUnderTest, add_user, new_user
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)


async def _search(storage: StorageUnderTest, **filters: object) -> list[UserSummary]:
    async with storage.unit_of_work() as ports:
        return await ports.user_reader.search(UserSearch(**filters))  # type: ignore[arg-type]


async def _names(storage: StorageUnderTest, **filters: object) -> list[str]:
    return [summary.username.value for summary in await _search(storage, **filters)]


async def test_a_summary_holds_what_an_administrator_reads_and_no_password_hash(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("Alice", roles=frozenset({Role.USER, Role.ADMIN})))
    signed_in = NOW + timedelta(minutes=5)
    async with storage.unit_of_work() as ports:
        await ports.users.record_signin(alice.id, signed_in)
        await ports.users.mark_email_verified(alice.id)
        await ports.users.set_disabled(alice.id, True)

    (summary,) = await _search(storage)

    assert summary == UserSummary(
        id=alice.id,
        username=alice.username,
        email=alice.email,
        roles=frozenset({Role.USER, Role.ADMIN}),
        created_at=NOW,
        disabled=True,
        email_verified=True,
        last_signin_at=signed_in,
    )
    assert "password_hash" not in {field.name for field in dataclasses.fields(UserSummary)}


async def test_users_come_by_id_after_the_cursor_and_up_to_the_limit(
    storage: StorageUnderTest,
) -> None:
    for name in ("carol", "alice", "bob", "dave"):
        await add_user(storage, new_user(name))
    carol, alice, *_ = await _search(storage)

    assert await _names(storage) == ["carol", "alice", "bob", "dave"]
    assert await _names(storage, limit=2) == ["carol", "alice"]
    assert await _names(storage, after_id=alice.id, limit=1) == ["bob"]
    assert await _names(storage, after_id=carol.id) == ["alice", "bob", "dave"]


async def test_a_prefix_matches_the_start_of_a_username_or_an_email_in_any_case(
    storage: StorageUnderTest,
) -> None:
    await add_user(storage, new_user("Alice", "alice@corp.example"))
    await add_user(storage, new_user("bob", "ALbert@corp.example"))
    await add_user(storage, new_user("malcolm", "malcolm@corp.example"))

    assert await _names(storage, prefix="al") == ["Alice", "bob"]
    assert await _names(storage, prefix="albert@") == ["bob"]
    assert await _names(storage, prefix="corp") == []


@pytest.mark.parametrize(("prefix", "found"), [("a_", ["one"]), ("a%", ["two"]), ("a!", ["three"])])
async def test_like_wildcards_in_a_prefix_are_plain_characters(
    storage: StorageUnderTest, prefix: str, found: list[str]
) -> None:
    for name, email in (("one", "a_b"), ("two", "a%b"), ("three", "a!b"), ("four", "axb")):
        await add_user(storage, new_user(name, f"{email}@example.com"))

    assert await _names(storage, prefix=prefix) == found


async def test_role_and_state_filters_combine(storage: StorageUnderTest) -> None:
    await add_user(storage, new_user("root", roles=frozenset({Role.USER, Role.ADMIN})))
    bob = await add_user(storage, new_user("bob"))
    await add_user(storage, new_user("boss", roles=frozenset({Role.ADMIN})))
    async with storage.unit_of_work() as ports:
        await ports.users.set_disabled(bob.id, True)

    assert await _names(storage, role=Role.ADMIN) == ["root", "boss"]
    assert await _names(storage, role=Role.MODERATOR) == []
    assert await _names(storage, disabled=True) == ["bob"]
    assert await _names(storage, disabled=False) == ["root", "boss"]
    assert await _names(storage, prefix="b", role=Role.USER, disabled=False) == []
    assert await _names(storage, prefix="b", role=Role.USER) == ["bob"]
