"""OneTimeTokenStore: mailed single-use tokens, at most one per user and purpose, each used at
most once, on every adapter."""

import asyncio
from datetime import timedelta

import pytest

from domain.one_time_token import IssuedOneTimeToken, TokenPurpose
from domain.session import digest_of
from tests.contracts.storage_under_test import NOW, StorageUnderTest, add_user, new_user
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

LIFETIME = timedelta(hours=1)
RESET = TokenPurpose.PASSWORD_RESET
VERIFICATION = TokenPurpose.EMAIL_VERIFICATION


def token(user_id: int, purpose: TokenPurpose = RESET, name: str = "one") -> IssuedOneTimeToken:
    return IssuedOneTimeToken(
        digest=digest_of(f"{name}:{user_id}:{purpose.value}"),
        user_id=user_id,
        purpose=purpose,
        binding=digest_of(f"binding of {name}"),
        issued_at=NOW,
        expires_at=NOW + LIFETIME,
    )


async def store(storage: StorageUnderTest, *tokens: IssuedOneTimeToken) -> None:
    for issued in tokens:
        async with storage.unit_of_work() as ports:
            await ports.one_time_tokens.replace(issued)


async def find(storage: StorageUnderTest, issued: IssuedOneTimeToken) -> IssuedOneTimeToken | None:
    async with storage.unit_of_work() as ports:
        return await ports.one_time_tokens.find(issued.digest)


async def consume(storage: StorageUnderTest, issued: IssuedOneTimeToken) -> bool:
    async with storage.unit_of_work() as ports:
        return await ports.one_time_tokens.consume(issued)


async def test_a_stored_token_is_found_by_its_digest_as_it_was_stored(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    issued = token(user.id)
    await store(storage, issued)

    found = await find(storage, issued)

    assert found == issued
    assert found is not None
    assert found.expires_at.utcoffset() == timedelta(0)


async def test_an_unknown_digest_finds_nothing(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    await store(storage, token(user.id))

    async with storage.unit_of_work() as ports:
        assert await ports.one_time_tokens.find("0" * 64) is None


async def test_a_new_token_replaces_the_one_of_its_user_and_purpose_only(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    old = token(alice.id, name="old")
    verification = token(alice.id, VERIFICATION)
    bobs = token(bob.id)
    await store(storage, old, verification, bobs)

    new = token(alice.id, name="new")
    await store(storage, new)

    assert await find(storage, old) is None
    assert await find(storage, new) == new
    assert await find(storage, verification) == verification
    assert await find(storage, bobs) == bobs


async def test_a_token_is_consumed_once(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    issued = token(user.id)
    other_purpose = token(user.id, VERIFICATION)
    await store(storage, issued, other_purpose)

    assert await consume(storage, issued)
    assert not await consume(storage, issued)
    assert await find(storage, issued) is None
    assert await find(storage, other_purpose) == other_purpose


async def test_a_replaced_token_cannot_be_consumed_and_leaves_its_successor(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    old, new = token(user.id, name="old"), token(user.id, name="new")
    await store(storage, old, new)

    assert not await consume(storage, old)
    assert await find(storage, new) == new


async def test_of_two_concurrent_uses_of_one_token_exactly_one_wins(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    issued = token(user.id)
    await store(storage, issued)

    outcomes = await asyncio.gather(consume(storage, issued), consume(storage, issued))

    assert sorted(outcomes) == [False, True]


async def test_a_users_tokens_go_with_the_user(storage: StorageUnderTest) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    alices, bobs = token(alice.id), token(bob.id)
    await store(storage, alices, bobs)

    await storage.backdoor.delete_user(alice.id)

    assert await find(storage, alices) is None
    assert await find(storage, bobs) == bobs


SECOND_FACTOR = TokenPurpose.SECOND_FACTOR_SIGNIN


async def add(storage: StorageUnderTest, *tokens: IssuedOneTimeToken) -> None:
    for issued in tokens:
        async with storage.unit_of_work() as ports:
            await ports.one_time_tokens.add(issued)


async def use(storage: StorageUnderTest, issued: IssuedOneTimeToken) -> bool:
    async with storage.unit_of_work() as ports:
        return await ports.one_time_tokens.use(issued)


async def test_added_tokens_live_side_by_side_and_each_is_used_alone(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    first, second = token(user.id, SECOND_FACTOR, "first"), token(user.id, SECOND_FACTOR, "second")
    await add(storage, first, second)

    assert await use(storage, first)

    assert not await use(storage, first)
    assert await find(storage, first) is None
    assert await find(storage, second) == second


async def test_adding_a_token_deletes_the_expired_ones_of_its_user_and_purpose(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    old = token(alice.id, SECOND_FACTOR, "old")
    bobs = token(bob.id, SECOND_FACTOR, "bob's")
    reset = token(alice.id, RESET)
    await add(storage, old, bobs)
    await store(storage, reset)
    later = token(alice.id, SECOND_FACTOR, "later")
    later = IssuedOneTimeToken(
        later.digest,
        later.user_id,
        later.purpose,
        later.binding,
        issued_at=old.expires_at,
        expires_at=old.expires_at + LIFETIME,
    )

    await add(storage, later)

    assert await find(storage, old) is None
    assert await find(storage, later) == later
    assert await find(storage, bobs) == bobs
    assert await find(storage, reset) == reset


async def test_of_fifty_concurrent_uses_of_one_added_token_exactly_one_wins(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    issued = token(user.id, SECOND_FACTOR)
    await add(storage, issued)

    outcomes = await asyncio.gather(*(use(storage, issued) for _ in range(50)))

    assert sorted(outcomes) == [False] * 49 + [True]
