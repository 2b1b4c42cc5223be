"""PasskeyStore and PasskeyChallengeStore: credentials found by their id, listed, counted and
removed per user; challenges used at most once, also by two concurrent uses; on every
adapter."""

import asyncio
from datetime import timedelta

import pytest

from application.ports.passkeys import PasskeyAlreadyRegistered
from domain.passkey import ChallengePurpose, NewPasskey, Passkey, PasskeyChallenge, issue_challenge
from tests.contracts.storage_under_test import NOW, StorageUnderTest, add_user, new_user
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

# The longest credential id WebAuthn allows, and a COSE key of realistic size.
LONG_ID = bytes(range(256)) * 3 + b"\xff" * 255
A_KEY = b"\xa5\x01\x02\x03\x26" + bytes(72)


def new_passkey(
    user_id: int, credential_id: bytes = b"credential", name: str = "laptop"
) -> NewPasskey:
    return NewPasskey(
        user_id=user_id,
        credential_id=credential_id,
        public_key=A_KEY,
        sign_count=0,
        transports=("internal", "hybrid"),
        name=name,
        created_at=NOW,
    )


async def add(storage: StorageUnderTest, passkey: NewPasskey) -> Passkey:
    async with storage.unit_of_work() as ports:
        return await ports.passkeys.add(passkey)


async def find(storage: StorageUnderTest, credential_id: bytes) -> Passkey | None:
    async with storage.unit_of_work() as ports:
        return await ports.passkeys.find(credential_id)


async def test_a_passkey_is_found_by_its_credential_id_as_it_was_stored(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    added = await add(storage, new_passkey(user.id, LONG_ID))

    found = await find(storage, LONG_ID)

    assert found == added
    assert found is not None
    assert found.credential_id == LONG_ID
    assert found.public_key == A_KEY
    assert found.transports == ("internal", "hybrid")
    assert found.created_at == NOW
    assert found.last_used_at is None
    assert await find(storage, LONG_ID[:-1]) is None


async def test_a_credential_id_is_registered_once_whoever_asks(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    await add(storage, new_passkey(alice.id))

    with pytest.raises(PasskeyAlreadyRegistered):
        await add(storage, new_passkey(bob.id))

    assert (await find(storage, b"credential")) is not None


async def test_a_users_passkeys_are_listed_oldest_first_and_counted(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    first = await add(storage, new_passkey(alice.id, b"one", "phone"))
    second = await add(storage, new_passkey(alice.id, b"two", "laptop"))
    await add(storage, new_passkey(bob.id, b"three"))

    async with storage.unit_of_work() as ports:
        assert await ports.passkeys.of_user(alice.id) == [first, second]
        assert await ports.passkeys.count_of_user(alice.id) == 2
        assert await ports.passkeys.count_of_user(bob.id) == 1
        assert await ports.passkeys.count_of_user(bob.id + 100) == 0


async def test_a_use_records_the_counter_and_the_time(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    added = await add(storage, new_passkey(user.id))
    later = NOW + timedelta(minutes=3)

    async with storage.unit_of_work() as ports:
        await ports.passkeys.record_use(added.id, 2**32 - 1, later)

    found = await find(storage, b"credential")
    assert found is not None
    assert (found.sign_count, found.last_used_at) == (2**32 - 1, later)


async def test_a_passkey_is_removed_by_its_owner_only(storage: StorageUnderTest) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    added = await add(storage, new_passkey(alice.id))

    async with storage.unit_of_work() as ports:
        assert not await ports.passkeys.remove(bob.id, added.id)
        assert not await ports.passkeys.remove(alice.id, added.id + 1)
        assert not await ports.passkeys.remove(alice.id, 2**70)
    async with storage.unit_of_work() as ports:
        assert await ports.passkeys.remove(alice.id, added.id)
    assert await find(storage, b"credential") is None


async def test_a_users_passkeys_and_challenges_go_with_the_user(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    await add(storage, new_passkey(alice.id, b"alices"))
    await add(storage, new_passkey(bob.id, b"bobs"))
    _, challenge = issue_challenge(ChallengePurpose.REGISTRATION, alice.id, NOW)
    await store_challenge(storage, challenge)

    await storage.backdoor.delete_user(alice.id)

    assert await find(storage, b"alices") is None
    assert await find(storage, b"bobs") is not None
    assert await consume(storage, challenge) is None


async def store_challenge(storage: StorageUnderTest, challenge: PasskeyChallenge) -> None:
    async with storage.unit_of_work() as ports:
        await ports.passkey_challenges.add(challenge)


async def consume(
    storage: StorageUnderTest, challenge: PasskeyChallenge
) -> PasskeyChallenge | None:
    async with storage.unit_of_work() as ports:
        return await ports.passkey_challenges.consume(challenge.digest)


@pytest.mark.parametrize(
    ("purpose", "named"),
    [
        (ChallengePurpose.REGISTRATION, True),
        (ChallengePurpose.SIGNIN, False),
        (ChallengePurpose.SIGNIN_OF_USER, True),
        (ChallengePurpose.SIGNIN_OF_USER, False),
    ],
)
async def test_a_challenge_is_given_back_as_stored_once(
    storage: StorageUnderTest, purpose: ChallengePurpose, named: bool
) -> None:
    user = await add_user(storage)
    _, challenge = issue_challenge(purpose, user.id if named else None, NOW)
    await store_challenge(storage, challenge)

    assert await consume(storage, challenge) == challenge
    assert await consume(storage, challenge) is None


async def test_of_two_concurrent_uses_of_one_challenge_exactly_one_gets_it(
    storage: StorageUnderTest,
) -> None:
    _, challenge = issue_challenge(ChallengePurpose.SIGNIN, None, NOW)
    await store_challenge(storage, challenge)

    outcomes = await asyncio.gather(consume(storage, challenge), consume(storage, challenge))

    assert sorted(outcome is not None for outcome in outcomes) == [False, True]


async def test_expired_challenges_are_purged_and_live_ones_kept(
    storage: StorageUnderTest,
) -> None:
    _, old = issue_challenge(ChallengePurpose.SIGNIN, None, NOW - timedelta(minutes=10))
    _, live = issue_challenge(ChallengePurpose.SIGNIN, None, NOW)
    await store_challenge(storage, old)
    await store_challenge(storage, live)

    async with storage.unit_of_work() as ports:
        assert await ports.passkey_challenges.purge(NOW) == 1

    assert await consume(storage, old) is None
    assert await consume(storage, live) == live
