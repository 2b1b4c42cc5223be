"""SigningKeyStore: the keys kept as given, and a generation claimed once, decided by storage."""

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from application.ports.signing_keys import StoredSigningKey
from domain.signing_keys import SigningKey
from tests.contracts.storage_under_test import NOW, StorageUnderTest
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

# Bytes of every value, as a sealed key's are.
SEALED = bytes(range(256)) * 2


def stored_key(kid: str, generation: int | None = 1, **changes: Any) -> StoredSigningKey:
    key = SigningKey(kid, "ES256", generation, NOW, NOW + timedelta(minutes=10), None)
    return StoredSigningKey(replace(key, **changes), f'{{"kid": "{kid}"}}', SEALED)


async def add(storage: StorageUnderTest, stored: StoredSigningKey) -> bool:
    async with storage.unit_of_work() as ports:
        return await ports.signing_keys.add(stored)


async def all_keys(storage: StorageUnderTest) -> dict[str, StoredSigningKey]:
    async with storage.unit_of_work() as ports:
        return {s.key.kid: s for s in await ports.signing_keys.all()}


async def test_a_key_is_kept_as_given_to_the_microsecond_and_the_byte(
    storage: StorageUnderTest,
) -> None:
    key = stored_key("K" * 43, signs_until=NOW + timedelta(hours=1, microseconds=7))

    assert await add(storage, key)

    assert await all_keys(storage) == {key.key.kid: key}


async def test_kids_differing_only_in_case_are_two_keys(storage: StorageUnderTest) -> None:
    assert await add(storage, stored_key("a" * 43, 1))
    assert await add(storage, stored_key("A" * 43, 2))

    assert set(await all_keys(storage)) == {"a" * 43, "A" * 43}


async def test_a_generation_is_claimed_once(storage: StorageUnderTest) -> None:
    assert await add(storage, stored_key("first", 2))

    assert not await add(storage, stored_key("second", 2))

    assert set(await all_keys(storage)) == {"first"}


async def test_keys_without_a_generation_are_any_number(storage: StorageUnderTest) -> None:
    for kid in ("one", "two", "three"):
        assert await add(storage, stored_key(kid, None))

    assert len(await all_keys(storage)) == 3


async def test_an_update_writes_the_schedule_generation_and_revocation(
    storage: StorageUnderTest,
) -> None:
    stored = stored_key("key", 1)
    await add(storage, stored)
    changed = replace(
        stored.key,
        generation=None,
        signs_from=NOW + timedelta(seconds=1),
        signs_until=NOW + timedelta(seconds=2),
        revoked_at=NOW + timedelta(seconds=3),
    )

    async with storage.unit_of_work() as ports:
        await ports.signing_keys.update(changed)

    assert (await all_keys(storage))["key"] == replace(stored, key=changed)
    assert await add(storage, stored_key("reuses the generation", 1))


async def test_of_concurrent_claims_of_one_generation_exactly_one_stands(
    storage: StorageUnderTest,
) -> None:
    async def claim(kid: str) -> bool:
        async with storage.unit_of_work() as ports:
            return await ports.signing_keys.add(stored_key(kid, 5))

    results = await asyncio.gather(*(claim(f"key-{n}") for n in range(6)))

    assert sorted(results) == [False] * 5 + [True]
    assert len(await all_keys(storage)) == 1
