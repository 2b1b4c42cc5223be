import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from dishka import Provider, Scope, provide

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.memory import InMemorySessionStore, InMemoryStorage
from application.common.errors import (
    AccessTokenInvalid,
    RefreshTokenExpired,
    RefreshTokenMissing,
    RefreshTokenReused,
    RefreshTokenUnknown,
)
from application.ports.sessions import SessionStore
from application.sessions.authenticate_user import AuthenticateUserResponse
from application.sessions.refresh_session import RefreshSessionRequest, RefreshSessionResponse
from application.sessions.sign_out import SignOutRequest
from domain.session import RefreshToken, digest_of
from tests.fakes import FakeClock, YieldingSessionStore
from tests.unit.authgate import POLICY, SETTINGS, Authgate

AFTER_GRACE = POLICY.reuse_grace + timedelta(seconds=1)


@pytest.fixture
async def alice(authgate: Authgate) -> AuthenticateUserResponse:
    return await authgate.signed_in("alice")


async def refresh(authgate: Authgate, token: str | None) -> RefreshSessionResponse:
    return await authgate.refresh.execute(RefreshSessionRequest(token))


def alice_session(authgate: Authgate, alice: AuthenticateUserResponse) -> str:
    return authgate.session_of(alice.access_token.value).id


async def test_refresh_returns_a_new_refresh_token_and_an_access_token_for_the_same_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    refreshed = await refresh(authgate, alice.refresh_token.value)
    assert refreshed.refresh_token != alice.refresh_token
    assert refreshed.access_token.value != alice.access_token.value
    session = authgate.session_of(alice.access_token.value)
    assert authgate.session_of(refreshed.access_token.value) == session
    principal = await authgate.access(refreshed.access_token.value)
    assert principal.user_id == alice.user.id
    [live] = authgate.live_refresh_tokens(session.id)
    assert live.digest == refreshed.refresh_token.digest


async def test_refresh_commits_the_unit_of_work(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    commits = authgate.uow.commits
    await refresh(authgate, alice.refresh_token.value)
    assert authgate.uow.commits == commits + 1


async def test_refreshed_token_can_be_refreshed_in_turn(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    token = alice.refresh_token
    for _ in range(5):
        authgate.clock.advance(timedelta(minutes=1))
        token = (await refresh(authgate, token.value)).refresh_token
    assert [t.digest for t in authgate.live_refresh_tokens(alice_session(authgate, alice))] == [
        token.digest
    ]


async def test_rotated_token_presented_after_the_grace_window_is_reuse_and_revokes_the_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    refreshed = await refresh(authgate, alice.refresh_token.value)
    await authgate.access(alice.access_token.value)
    await authgate.access(refreshed.access_token.value)
    authgate.clock.advance(AFTER_GRACE)

    with pytest.raises(RefreshTokenReused):
        await refresh(authgate, alice.refresh_token.value)

    session_id = alice_session(authgate, alice)
    assert authgate.storage.sessions[session_id].revoked_at == authgate.clock.now()
    with pytest.raises(RefreshTokenUnknown):
        await refresh(authgate, refreshed.refresh_token.value)
    for access_token in (alice.access_token.value, refreshed.access_token.value):
        with pytest.raises(AccessTokenInvalid):
            await authgate.access(access_token)


async def test_reuse_commits_the_revocation(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    await refresh(authgate, alice.refresh_token.value)
    authgate.clock.advance(AFTER_GRACE)
    commits = authgate.uow.commits
    with pytest.raises(RefreshTokenReused):
        await refresh(authgate, alice.refresh_token.value)
    assert authgate.uow.commits == commits + 1


async def test_reuse_leaves_the_users_other_sessions_alone(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    other = await authgate.signin("alice")
    await refresh(authgate, alice.refresh_token.value)
    authgate.clock.advance(AFTER_GRACE)
    with pytest.raises(RefreshTokenReused):
        await refresh(authgate, alice.refresh_token.value)
    await authgate.access(other.access_token.value)
    await refresh(authgate, other.refresh_token.value)


async def test_rotated_token_retried_within_grace_gets_the_same_live_successor_and_no_new_one(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    lost = await refresh(authgate, alice.refresh_token.value)
    stored = dict(authgate.storage.refresh_tokens)
    authgate.clock.advance(POLICY.reuse_grace)

    retried = await refresh(authgate, alice.refresh_token.value)

    assert retried.refresh_token == lost.refresh_token
    assert authgate.storage.refresh_tokens == stored
    await authgate.access(retried.access_token.value)
    refreshed_again = await refresh(authgate, retried.refresh_token.value)
    assert refreshed_again.refresh_token not in (alice.refresh_token, lost.refresh_token)


async def test_a_token_retired_twice_within_grace_is_answered_with_the_live_successor(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    second = await refresh(authgate, alice.refresh_token.value)
    third = await refresh(authgate, second.refresh_token.value)

    retried = await refresh(authgate, alice.refresh_token.value)

    assert retried.refresh_token == third.refresh_token
    [live] = authgate.live_refresh_tokens(alice_session(authgate, alice))
    assert live.digest == third.refresh_token.digest


@pytest.mark.parametrize("token", [None, ""])
async def test_refresh_without_a_token_raises_refresh_token_missing(
    authgate: Authgate, token: str | None
) -> None:
    with pytest.raises(RefreshTokenMissing):
        await refresh(authgate, token)


@pytest.mark.parametrize(
    "token", [RefreshToken.generate().value, "garbage", "x" * 10_000, "é\u0000"]
)
async def test_refresh_with_an_unknown_token_raises_refresh_token_unknown(
    authgate: Authgate, alice: AuthenticateUserResponse, token: str
) -> None:
    with pytest.raises(RefreshTokenUnknown):
        await refresh(authgate, token)


async def test_refresh_with_the_digest_instead_of_the_token_is_unknown(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    with pytest.raises(RefreshTokenUnknown):
        await refresh(authgate, alice.refresh_token.digest)


async def test_only_the_digest_of_a_refresh_token_is_stored(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    assert alice.refresh_token.value not in authgate.storage.refresh_tokens
    assert digest_of(alice.refresh_token.value) in authgate.storage.refresh_tokens


async def test_refresh_token_past_its_lifetime_raises_refresh_token_expired(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    authgate.clock.advance(POLICY.refresh_token_lifetime)
    with pytest.raises(RefreshTokenExpired):
        await refresh(authgate, alice.refresh_token.value)


async def test_refresh_token_just_before_its_expiry_still_refreshes(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    authgate.clock.advance(POLICY.refresh_token_lifetime - timedelta(seconds=1))
    refreshed = await refresh(authgate, alice.refresh_token.value)
    assert refreshed.refresh_token != alice.refresh_token


async def test_fresh_refresh_token_raises_refresh_token_expired_once_the_session_lifetime_is_up(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    step = POLICY.refresh_token_lifetime - timedelta(minutes=1)
    token = alice.refresh_token
    elapsed = timedelta(0)
    while elapsed + step < POLICY.session_lifetime:
        authgate.clock.advance(step)
        elapsed += step
        token = (await refresh(authgate, token.value)).refresh_token
    authgate.clock.advance(POLICY.session_lifetime - elapsed)

    with pytest.raises(RefreshTokenExpired):
        await refresh(authgate, token.value)


async def test_refresh_tokens_never_outlive_their_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    session = authgate.session_of(alice.access_token.value)
    authgate.clock.advance(POLICY.refresh_token_lifetime - timedelta(minutes=1))
    token = (await refresh(authgate, alice.refresh_token.value)).refresh_token
    authgate.clock.advance(POLICY.refresh_token_lifetime - timedelta(minutes=1))
    token = (await refresh(authgate, token.value)).refresh_token
    authgate.clock.advance(POLICY.refresh_token_lifetime - timedelta(minutes=1))
    token = (await refresh(authgate, token.value)).refresh_token

    stored = authgate.storage.refresh_tokens[token.digest]
    assert stored.expires_at == session.expires_at
    assert all(t.expires_at <= session.expires_at for t in authgate.storage.refresh_tokens.values())


async def test_refresh_token_of_a_signed_out_session_raises_refresh_token_unknown(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    await authgate.sign_out.by(alice.access_token.value).execute(SignOutRequest())
    with pytest.raises(RefreshTokenUnknown):
        await refresh(authgate, alice.refresh_token.value)


async def test_refresh_token_of_a_deleted_user_raises_refresh_token_unknown(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    authgate.storage.delete_user(alice.user.id)
    with pytest.raises(RefreshTokenUnknown):
        await refresh(authgate, alice.refresh_token.value)


async def test_concurrent_refreshes_with_one_token_all_get_one_successor(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    outcomes = await asyncio.gather(
        *(refresh(authgate, alice.refresh_token.value) for _ in range(20))
    )

    [successor] = {o.refresh_token for o in outcomes}
    [live] = authgate.live_refresh_tokens(alice_session(authgate, alice))
    assert live.digest == successor.digest


@pytest.fixture
async def racy(
    clock: FakeClock, hasher: BcryptPasswordHasher, authgate: Authgate
) -> AsyncIterator[Authgate]:
    """The same storage behind a session store that yields like a database round trip, so that
    the requests really interleave between reading the token and rotating it."""
    racy = await Authgate.start(clock, hasher, YieldingStore(), storage=authgate.storage)
    yield racy
    await racy.close()


class YieldingStore(Provider):
    @provide(scope=Scope.REQUEST)
    def sessions(self, storage: InMemoryStorage) -> SessionStore:
        return YieldingSessionStore(InMemorySessionStore(storage))


async def test_interleaved_concurrent_refreshes_all_get_one_successor(
    racy: Authgate, alice: AuthenticateUserResponse
) -> None:
    outcomes = await asyncio.gather(*(refresh(racy, alice.refresh_token.value) for _ in range(20)))

    [successor] = {o.refresh_token for o in outcomes}
    [live] = racy.live_refresh_tokens(alice_session(racy, alice))
    assert live.digest == successor.digest
    assert racy.uow.rollbacks > 0  # the losers of the race ran again


async def test_with_rotation_off_a_refresh_answers_the_same_refresh_token(
    clock: FakeClock, hasher: BcryptPasswordHasher
) -> None:
    settings = SETTINGS.replaced(refresh_rotation=False)
    authgate = await Authgate.start(clock, hasher, settings=settings)
    try:
        alice = await authgate.signed_in("alice")
        stored = dict(authgate.storage.refresh_tokens)
        first = await refresh(authgate, alice.refresh_token.value)
        clock.advance(POLICY.reuse_grace * 2)
        second = await refresh(authgate, alice.refresh_token.value)
    finally:
        await authgate.close()

    assert first.refresh_token == second.refresh_token == alice.refresh_token
    assert authgate.storage.refresh_tokens == stored
    assert first.access_token.value != second.access_token.value
