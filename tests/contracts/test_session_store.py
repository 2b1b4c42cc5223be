"""SessionStore: sessions and their refresh tokens, rotated only from the generation read, on
every adapter."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from domain.session import Session
from tests.contracts.storage_under_test import (
    NOW,
    SESSION_LIFETIME,
    TOKEN_LIFETIME,
    StorageUnderTest,
    add_user,
    find_token,
    new_user,
    start_session,
)
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

LATER = NOW + timedelta(minutes=1)


async def rotate(storage: StorageUnderTest, session: Session) -> tuple[bool, str]:
    """Rotates from `session` as read; whether it happened, and the digest it stored."""
    _, record = session.issue_refresh_token(LATER, TOKEN_LIFETIME)
    async with storage.unit_of_work() as ports:
        rotated = await ports.sessions.rotate(session, LATER, record)
    return rotated, record.digest


async def test_a_started_session_is_found_by_its_token_as_it_was_stored(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, token = await start_session(storage, user.id)

    found = await find_token(storage, token)

    assert found is not None
    record, stored = found
    assert stored == session
    assert (record.digest, record.session_id) == (token.digest, session.id)
    assert (record.issued_at, record.expires_at, record.rotated_at) == (
        NOW,
        NOW + TOKEN_LIFETIME,
        None,
    )
    assert stored.expires_at == NOW + SESSION_LIFETIME
    assert stored.created_at.utcoffset() == timedelta(0)


async def test_an_unknown_digest_finds_nothing(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    _, token = await start_session(storage, user.id)

    async with storage.unit_of_work() as ports:
        assert await ports.sessions.find_by_refresh_digest(token.value) is None
        assert await ports.sessions.find_by_refresh_digest("0" * 64) is None


async def test_a_rotation_retires_the_live_token_and_stores_the_next_one(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, first = await start_session(storage, user.id)

    rotated, next_digest = await rotate(storage, session)

    assert rotated
    found = await find_token(storage, first)
    assert found is not None
    retired, after = found
    assert retired.rotated_at == LATER
    assert after.generation == session.generation + 1
    async with storage.unit_of_work() as ports:
        found_next = await ports.sessions.find_by_refresh_digest(next_digest)
    assert found_next is not None
    assert found_next[0].rotated_at is None


async def test_a_rotation_from_a_stale_generation_changes_nothing(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)
    assert (await rotate(storage, session))[0]

    rotated, next_digest = await rotate(storage, session)  # the generation it read has moved

    assert not rotated
    async with storage.unit_of_work() as ports:
        assert await ports.sessions.find_by_refresh_digest(next_digest) is None


async def test_a_revoked_session_is_not_rotated(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    session, first = await start_session(storage, user.id)
    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(session.id, NOW)

    rotated, _ = await rotate(storage, session)

    assert not rotated
    found = await find_token(storage, first)
    assert found is not None
    assert found[0].rotated_at is None


async def test_of_two_concurrent_rotations_from_one_read_exactly_one_wins(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)

    outcomes = await asyncio.gather(rotate(storage, session), rotate(storage, session))

    assert sorted(rotated for rotated, _ in outcomes) == [False, True]


async def test_a_revocation_keeps_its_first_moment(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    session, token = await start_session(storage, user.id)

    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(session.id, NOW)
    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(session.id, LATER)
        await ports.sessions.revoke("0" * 32, LATER)  # unknown: nothing to do

    found = await find_token(storage, token)
    assert found is not None
    assert found[1] == replace(session, revoked_at=NOW)


async def test_purging_deletes_ended_sessions_with_their_tokens_and_keeps_live_ones(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    _, expired = await start_session(storage, user.id, NOW - SESSION_LIFETIME)
    revoked, revoked_token = await start_session(storage, user.id)
    _, live_token = await start_session(storage, user.id)
    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(revoked.id, NOW)

    async with storage.unit_of_work() as ports:
        purged = await ports.sessions.purge(NOW)

    assert purged == 2
    assert await find_token(storage, expired) is None
    assert await find_token(storage, revoked_token) is None
    assert await find_token(storage, live_token) is not None
    assert await storage.backdoor.sessions_of(user.id) == 1


async def test_purging_deletes_expired_tokens_of_a_live_session(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    _, first = await start_session(storage, user.id)

    async with storage.unit_of_work() as ports:
        purged = await ports.sessions.purge(NOW + TOKEN_LIFETIME)

    assert purged == 0
    assert await find_token(storage, first) is None
    assert await storage.backdoor.sessions_of(user.id) == 1


async def test_a_retired_token_keeps_the_moment_of_its_first_retirement(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, first = await start_session(storage, user.id)
    assert (await rotate(storage, session))[0]
    found = await find_token(storage, first)
    assert found is not None
    _, rotated_once = found
    much_later = LATER + timedelta(minutes=5)
    _, record = rotated_once.issue_refresh_token(much_later, TOKEN_LIFETIME)

    async with storage.unit_of_work() as ports:
        assert await ports.sessions.rotate(rotated_once, much_later, record)

    retired = await find_token(storage, first)
    assert retired is not None
    assert retired[0].rotated_at == LATER


async def test_live_sessions_are_the_users_unrevoked_unexpired_ones_newest_first(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    await start_session(storage, alice.id, NOW - SESSION_LIFETIME)  # ends at NOW
    revoked, _ = await start_session(storage, alice.id, NOW - timedelta(minutes=2))
    older, _ = await start_session(storage, alice.id, NOW - timedelta(minutes=1))
    newer, _ = await start_session(storage, alice.id, NOW)
    await start_session(storage, bob.id, NOW)
    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(revoked.id, NOW)

    async with storage.unit_of_work() as ports:
        live = await ports.sessions.live_sessions(alice.id, NOW)
        at_the_end_of_older = await ports.sessions.live_sessions(alice.id, older.expires_at)

    assert live == [newer, older]
    assert at_the_end_of_older == [newer]


async def test_a_user_ends_a_live_session_of_their_own_once(storage: StorageUnderTest) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    session, token = await start_session(storage, alice.id)

    async with storage.unit_of_work() as ports:
        by_another = await ports.sessions.revoke_of_user(bob.id, session.id, NOW)
        ended = await ports.sessions.revoke_of_user(alice.id, session.id, NOW)
    async with storage.unit_of_work() as ports:
        again = await ports.sessions.revoke_of_user(alice.id, session.id, LATER)

    assert (by_another, ended, again) == (False, True, False)
    found = await find_token(storage, token)
    assert found is not None
    assert found[1].revoked_at == NOW


async def test_a_session_past_its_lifetime_is_not_ended_again(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    session, token = await start_session(storage, user.id)

    async with storage.unit_of_work() as ports:
        ended = await ports.sessions.revoke_of_user(user.id, session.id, session.expires_at)

    assert not ended
    found = await find_token(storage, token)
    assert found is not None
    assert found[1].revoked_at is None


async def test_ending_all_of_a_users_sessions_counts_only_those_it_ended(
    storage: StorageUnderTest,
) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    kept, _ = await start_session(storage, alice.id)
    _, live_token = await start_session(storage, alice.id)
    revoked, revoked_token = await start_session(storage, alice.id)
    _, bobs_token = await start_session(storage, bob.id)
    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(revoked.id, NOW)

    async with storage.unit_of_work() as ports:
        ended = await ports.sessions.revoke_all_of_user(alice.id, LATER, keep=kept.id)

    assert ended == 1
    async with storage.unit_of_work() as ports:
        assert await ports.sessions.live_sessions(alice.id, LATER) == [kept]
    ended_before = await find_token(storage, revoked_token)
    ended_now = await find_token(storage, live_token)
    bobs = await find_token(storage, bobs_token)
    assert ended_before is not None
    assert ended_now is not None
    assert bobs is not None
    assert (ended_before[1].revoked_at, ended_now[1].revoked_at) == (NOW, LATER)
    assert bobs[1].revoked_at is None
