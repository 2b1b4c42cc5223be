from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import bcrypt
import jwt
import pytest

from adapters.bcrypt_hasher import BcryptPasswordHasher
from application.common.errors import InvalidCredentials
from domain.session import digest_of
from domain.values import PasswordHash
from tests.fakes import CountingHasher, FakeClock
from tests.tokens import verified_claims
from tests.unit.authgate import ACCESS_TOKEN_LIFETIME, PASSWORD, POLICY, Authgate


@pytest.fixture
def counting(hasher: BcryptPasswordHasher) -> CountingHasher:
    return CountingHasher(hasher)


@pytest.fixture
async def counted(clock: FakeClock, counting: CountingHasher) -> AsyncIterator[Authgate]:
    authgate = await Authgate.start(clock, counting)
    yield authgate
    await authgate.close()


async def test_signin_returns_the_user_an_access_token_and_a_refresh_token(
    authgate: Authgate,
) -> None:
    user_id = await authgate.signup("alice")
    signed_in = await authgate.signin("alice")
    assert signed_in.user.id == user_id
    assert signed_in.access_token.expires_in == int(ACCESS_TOKEN_LIFETIME.total_seconds())
    claims = await authgate.tokens.verify(signed_in.access_token.value)
    assert claims.user_id == user_id
    session = authgate.storage.sessions[claims.session_id]
    assert session.user_id == user_id
    stored = authgate.storage.refresh_tokens[digest_of(signed_in.refresh_token.value)]
    assert stored.session_id == session.id
    assert stored.rotated_at is None


async def test_signin_access_token_names_the_user_as_a_string_subject_and_the_session(
    authgate: Authgate,
) -> None:
    user_id = await authgate.signup("alice")
    signed_in = await authgate.signin("alice")
    payload = verified_claims(signed_in.access_token.value, authgate.jwks())
    [session] = authgate.storage.sessions.values()
    assert payload["sub"] == str(user_id)
    assert payload["sid"] == session.id
    assert payload["exp"] - payload["iat"] == ACCESS_TOKEN_LIFETIME.total_seconds()
    header = jwt.get_unverified_header(signed_in.access_token.value)
    [key] = authgate.storage.signing_keys
    assert (header["alg"], header["kid"]) == ("ES256", key)


async def test_signin_starts_a_session_bounded_by_the_policy(authgate: Authgate) -> None:
    await authgate.signup("alice")
    now = authgate.clock.now()
    signed_in = await authgate.signin("alice")
    session = authgate.session_of(signed_in.access_token.value)
    assert (session.created_at, session.expires_at) == (now, now + POLICY.session_lifetime)
    assert session.revoked_at is None
    [token] = authgate.live_refresh_tokens(session.id)
    assert token.expires_at == now + POLICY.refresh_token_lifetime


async def test_signin_commits_the_unit_of_work(authgate: Authgate) -> None:
    await authgate.signup("alice")
    commits = authgate.uow.commits
    await authgate.signin("alice")
    assert authgate.uow.commits == commits + 1


async def test_each_signin_starts_its_own_session(authgate: Authgate) -> None:
    await authgate.signup("alice")
    first = await authgate.signin("alice")
    second = await authgate.signin("alice")
    assert authgate.session_of(first.access_token.value) != authgate.session_of(
        second.access_token.value
    )
    assert first.refresh_token != second.refresh_token
    await authgate.access(first.access_token.value)
    await authgate.access(second.access_token.value)


@pytest.mark.parametrize("spelling", ["alice", "ALICE", "aLiCe"])
async def test_signin_matches_the_username_in_any_case(authgate: Authgate, spelling: str) -> None:
    user_id = await authgate.signup("Alice")
    signed_in = await authgate.signin(spelling)
    assert signed_in.user.id == user_id
    assert signed_in.user.username.value == "Alice"


async def test_signin_with_a_wrong_password_raises_invalid_credentials(authgate: Authgate) -> None:
    await authgate.signup("alice")
    with pytest.raises(InvalidCredentials):
        await authgate.signin("alice", "wrong password")
    assert not authgate.storage.sessions


async def test_signin_with_an_unknown_user_raises_invalid_credentials(authgate: Authgate) -> None:
    with pytest.raises(InvalidCredentials):
        await authgate.signin("nobody")
    assert not authgate.storage.sessions


@pytest.mark.parametrize("username", ["nobody", "no", "not a valid name", ""])
async def test_signin_of_an_unknown_user_still_costs_one_password_verification(
    counted: Authgate, counting: CountingHasher, username: str
) -> None:
    await counted.signup("alice")
    with pytest.raises(InvalidCredentials):
        await counted.signin(username)
    assert counting.verifications == 1


async def test_signin_with_a_wrong_password_costs_one_password_verification(
    counted: Authgate, counting: CountingHasher
) -> None:
    await counted.signup("alice")
    with pytest.raises(InvalidCredentials):
        await counted.signin("alice", "wrong password")
    assert counting.verifications == 1


@pytest.mark.parametrize("password", ["a" * 73, "é" * 37, PASSWORD + "x" * 60])
async def test_signin_with_a_password_over_72_bytes_raises_invalid_credentials(
    counted: Authgate, counting: CountingHasher, password: str
) -> None:
    await counted.signup("alice")
    with pytest.raises(InvalidCredentials):
        await counted.signin("alice", password)
    with pytest.raises(InvalidCredentials):
        await counted.signin("nobody", password)
    assert counting.verifications == 2


async def test_signin_does_not_accept_a_password_that_only_shares_the_first_72_bytes(
    authgate: Authgate,
) -> None:
    password = "p" * 72
    await authgate.signup("alice", password=password)
    with pytest.raises(InvalidCredentials):
        await authgate.signin("alice", password + "tail")


async def test_signin_rehashes_a_password_hashed_at_another_cost(
    clock: FakeClock, executor: ThreadPoolExecutor
) -> None:
    old_cost = BcryptPasswordHasher(5, executor, slots=1, queue_timeout=60)
    new_cost = BcryptPasswordHasher(4, executor, slots=1, queue_timeout=60)
    before = await Authgate.start(clock, old_cost)
    user_id = await before.signup("alice")
    old_hash = before.user(user_id).password_hash
    assert new_cost.needs_rehash(old_hash)
    await before.close()

    after = await Authgate.start(clock, new_cost, storage=before.storage)
    await after.signin("alice")

    new_hash = after.user(user_id).password_hash
    assert new_hash != old_hash
    assert new_hash.value.startswith("$2b$04$")
    assert not new_cost.needs_rehash(new_hash)
    assert await new_cost.verify(PASSWORD, new_hash)
    assert (await after.signin("alice")).user.id == user_id


async def test_signin_keeps_a_hash_made_at_the_configured_cost(
    counted: Authgate, counting: CountingHasher
) -> None:
    user_id = await counted.signup("alice")
    stored = counted.user(user_id).password_hash
    await counted.signin("alice")
    assert counted.user(user_id).password_hash == stored
    assert counting.hashes == 1


async def test_signin_with_a_legacy_password_too_short_for_todays_rules_keeps_its_hash(
    authgate: Authgate,
) -> None:
    user_id = await authgate.signup("alice")
    legacy = PasswordHash(bcrypt.hashpw(b"short", bcrypt.gensalt(5)).decode())
    authgate.storage.users[user_id] = replace(authgate.user(user_id), password_hash=legacy)

    signed_in = await authgate.signin("alice", "short")

    assert signed_in.user.id == user_id
    assert authgate.user(user_id).password_hash == legacy


async def test_signin_after_the_user_was_deleted_raises_invalid_credentials(
    authgate: Authgate,
) -> None:
    user_id = await authgate.signup("alice")
    authgate.storage.delete_user(user_id)
    with pytest.raises(InvalidCredentials):
        await authgate.signin("alice")
