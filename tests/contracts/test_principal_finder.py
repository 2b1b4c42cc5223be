"""PrincipalFinder: who is behind a session, read as storage holds it now, on every adapter that
serves it, including the driver's own paths production takes on MySQL (asyncmy) and PostgreSQL
(asyncpg)."""

import asyncio
from datetime import timedelta, timezone

import pytest

from application.ports.signing_keys import StoredSigningKey
from domain.roles import Role
from domain.signing_keys import SigningKey
from domain.user import Principal
from tests.contracts.storage_under_test import (
    NOW,
    SESSION_LIFETIME,
    StorageUnderTest,
    add_user,
    new_user,
    start_session,
)

pytestmark = pytest.mark.parametrize(
    ("database_url", "principal_finder"),
    [
        pytest.param("memory", "own", id="memory"),
        pytest.param("sqlite", "own", id="sqlite"),
        pytest.param("mysql", "own", id="mysql-sqlalchemy", marks=pytest.mark.mysql),
        pytest.param("mysql", "asyncmy", id="mysql-asyncmy", marks=pytest.mark.mysql),
        pytest.param("postgres", "own", id="postgres-sqlalchemy", marks=pytest.mark.postgres),
        pytest.param("postgres", "asyncpg", id="postgres-asyncpg", marks=pytest.mark.postgres),
    ],
    indirect=["database_url"],
)

MICROSECOND = timedelta(microseconds=1)


async def find(
    storage: StorageUnderTest, user_id: int, session_id: str, at: object = NOW
) -> Principal | None:
    async with storage.unit_of_work() as ports:
        return await ports.principals.find(user_id, session_id, at)  # type: ignore[arg-type]


async def test_a_live_session_names_its_user_with_every_role_held(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage, new_user(roles=frozenset({Role.USER, Role.MODERATOR})))
    session, _ = await start_session(storage, user.id)

    principal = await find(storage, user.id, session.id)

    assert principal == Principal(user.id, session.id, frozenset({Role.USER, Role.MODERATOR}))


async def test_a_user_whose_every_role_was_taken_away_is_still_found(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)
    await storage.backdoor.set_roles(user.id, set())

    principal = await find(storage, user.id, session.id)

    assert principal == Principal(user.id, session.id, frozenset())


async def test_roles_are_read_as_they_are_now(storage: StorageUnderTest) -> None:
    user = await add_user(storage, new_user(roles=frozenset({Role.USER, Role.ADMIN})))
    session, _ = await start_session(storage, user.id)

    await storage.backdoor.set_roles(user.id, {Role.USER})

    principal = await find(storage, user.id, session.id)
    assert principal is not None
    assert principal.roles == {Role.USER}


async def test_a_session_is_live_until_the_last_moment_of_its_absolute_lifetime(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)

    principal = await find(storage, user.id, session.id, NOW + SESSION_LIFETIME - MICROSECOND)

    assert principal is not None


async def test_a_session_past_its_absolute_lifetime_names_no_one(
    storage: StorageUnderTest,
) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)

    assert await find(storage, user.id, session.id, NOW + SESSION_LIFETIME) is None
    assert await find(storage, user.id, session.id, NOW + SESSION_LIFETIME * 2) is None


async def test_the_moment_is_the_same_in_any_time_zone(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)
    east = timezone(timedelta(hours=5))

    ended = (NOW + SESSION_LIFETIME).astimezone(east)
    live = (NOW + SESSION_LIFETIME - MICROSECOND).astimezone(east)

    assert await find(storage, user.id, session.id, ended) is None
    assert await find(storage, user.id, session.id, live) is not None


async def test_a_revoked_session_names_no_one(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)
    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(session.id, NOW)

    assert await find(storage, user.id, session.id) is None


async def test_an_unknown_session_names_no_one(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    await start_session(storage, user.id)

    assert await find(storage, user.id, "0" * 32) is None


async def test_a_session_of_another_user_names_no_one(storage: StorageUnderTest) -> None:
    alice = await add_user(storage, new_user("alice"))
    bob = await add_user(storage, new_user("bob"))
    session, _ = await start_session(storage, alice.id)

    assert await find(storage, bob.id, session.id) is None


async def test_a_deleted_users_session_names_no_one(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)

    await storage.backdoor.delete_user(user.id)

    assert await find(storage, user.id, session.id) is None


async def test_lookups_made_together_each_get_their_own_tokens_answer(
    storage: StorageUnderTest,
) -> None:
    """Requests that arrive together: the raw read paths ask for them in one statement."""
    alice = await add_user(storage, new_user("alice", roles=frozenset({Role.USER, Role.ADMIN})))
    bob = await add_user(storage, new_user("bob"))
    carol = await add_user(storage, new_user("carol"))
    await storage.backdoor.set_roles(carol.id, set())
    alices, _ = await start_session(storage, alice.id)
    bobs, _ = await start_session(storage, bob.id)
    carols, _ = await start_session(storage, carol.id)
    ended, _ = await start_session(storage, bob.id)
    async with storage.unit_of_work() as ports:
        await ports.sessions.revoke(ended.id, NOW)

    asked = [
        (alice.id, alices.id),
        (bob.id, bobs.id),
        (carol.id, carols.id),
        (bob.id, ended.id),
        (alice.id, bobs.id),  # another user's session
        (alice.id, alices.id),  # the same token twice
        (bob.id, "0" * 32),
    ]
    answers = await asyncio.gather(*(find(storage, user, session) for user, session in asked))

    assert answers == [
        Principal(alice.id, alices.id, frozenset({Role.USER, Role.ADMIN})),
        Principal(bob.id, bobs.id, frozenset({Role.USER})),
        Principal(carol.id, carols.id, frozenset()),
        None,
        None,
        Principal(alice.id, alices.id, frozenset({Role.USER, Role.ADMIN})),
        None,
    ]


async def test_more_lookups_together_than_one_statement_takes_are_all_answered(
    storage: StorageUnderTest,
) -> None:
    users = [await add_user(storage, new_user(f"user{number}")) for number in range(40)]
    sessions = [(await start_session(storage, user.id))[0] for user in users]

    answers = await asyncio.gather(
        *(find(storage, user.id, session.id) for user, session in zip(users, sessions, strict=True))
    )

    assert answers == [
        Principal(user.id, session.id, frozenset({Role.USER}))
        for user, session in zip(users, sessions, strict=True)
    ]


async def add_key(storage: StorageUnderTest, kid: str, *, revoked: bool = False) -> None:
    key = SigningKey(kid, "ES256", None, NOW, NOW, None, NOW if revoked else None)
    async with storage.unit_of_work() as ports:
        assert await ports.signing_keys.add(StoredSigningKey(key, "{}", b"sealed"))


async def find_by_key(
    storage: StorageUnderTest, user_id: int, session_id: str, key_id: str
) -> Principal | None:
    async with storage.unit_of_work() as ports:
        return await ports.principals.find(user_id, session_id, NOW, key_id)


async def test_a_token_of_a_live_key_names_its_user(storage: StorageUnderTest) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)
    await add_key(storage, "live")

    assert await find_by_key(storage, user.id, session.id, "live") == Principal(
        user.id, session.id, frozenset({Role.USER})
    )


@pytest.mark.parametrize("key", ["revoked", "unknown", "LIVE"])
async def test_a_token_of_a_revoked_or_unknown_key_names_no_one(
    storage: StorageUnderTest, key: str
) -> None:
    user = await add_user(storage)
    session, _ = await start_session(storage, user.id)
    await add_key(storage, "live")
    await add_key(storage, "revoked", revoked=True)

    assert await find_by_key(storage, user.id, session.id, key) is None
