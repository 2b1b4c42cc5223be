from datetime import timedelta

import pytest

from application.common.errors import AccessTokenInvalid, RefreshTokenUnknown
from application.sessions.authenticate_user import AuthenticateUserResponse
from application.sessions.refresh_session import RefreshSessionRequest
from application.sessions.sign_out import SignOutRequest
from tests.tokens import claims_for
from tests.unit.authgate import Authgate


@pytest.fixture
async def alice(authgate: Authgate) -> AuthenticateUserResponse:
    return await authgate.signed_in("alice")


async def sign_out(
    authgate: Authgate, *, access_token: str | None = None, refresh_token: str | None = None
) -> bool:
    return await authgate.sign_out.by(access_token).execute(SignOutRequest(refresh_token))


async def assert_session_ended(authgate: Authgate, alice: AuthenticateUserResponse) -> None:
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(alice.access_token.value)
    with pytest.raises(RefreshTokenUnknown):
        await authgate.refresh.execute(RefreshSessionRequest(alice.refresh_token.value))


async def test_sign_out_by_access_token_ends_the_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    assert await sign_out(authgate, access_token=alice.access_token.value)
    await assert_session_ended(authgate, alice)


async def test_sign_out_records_when_the_session_ended_and_commits(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    commits = authgate.uow.commits
    await sign_out(authgate, access_token=alice.access_token.value)
    assert authgate.session_of(alice.access_token.value).revoked_at == authgate.clock.now()
    assert authgate.uow.commits == commits + 1


async def test_sign_out_by_expired_access_token_ends_the_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    session = authgate.session_of(alice.access_token.value)
    expired = await authgate.tokens.issue(
        session.user_id, session.id, authgate.clock.now() - timedelta(hours=3)
    )
    assert await sign_out(authgate, access_token=expired.value)
    await assert_session_ended(authgate, alice)


async def test_sign_out_by_refresh_token_ends_the_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    assert await sign_out(authgate, refresh_token=alice.refresh_token.value)
    await assert_session_ended(authgate, alice)


async def test_sign_out_by_a_rotated_refresh_token_ends_the_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    refreshed = await authgate.refresh.execute(RefreshSessionRequest(alice.refresh_token.value))
    assert await sign_out(authgate, refresh_token=alice.refresh_token.value)
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(refreshed.access_token.value)
    with pytest.raises(RefreshTokenUnknown):
        await authgate.refresh.execute(RefreshSessionRequest(refreshed.refresh_token.value))


async def test_sign_out_with_a_bad_access_token_falls_back_to_the_refresh_token(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    assert await sign_out(authgate, access_token="garbage", refresh_token=alice.refresh_token.value)
    await assert_session_ended(authgate, alice)


async def test_sign_out_ends_only_that_session(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    other = await authgate.signin("alice")
    await sign_out(authgate, access_token=alice.access_token.value)
    principal = await authgate.access(other.access_token.value)
    refreshed = await authgate.refresh.execute(RefreshSessionRequest(other.refresh_token.value))
    assert principal.user_id == other.user.id
    assert refreshed.refresh_token != other.refresh_token


async def test_sign_out_without_any_token_returns_false(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    assert not await sign_out(authgate)
    assert not await sign_out(authgate, access_token="", refresh_token="")
    assert (await authgate.access(alice.access_token.value)).user_id == alice.user.id


@pytest.mark.parametrize(
    ("access_token", "refresh_token"),
    [("garbage", None), (None, "garbage"), ("garbage", "garbage"), ("a.b.c", "x" * 5000)],
)
async def test_sign_out_with_garbage_tokens_returns_false_without_error(
    authgate: Authgate,
    alice: AuthenticateUserResponse,
    access_token: str | None,
    refresh_token: str | None,
) -> None:
    commits = authgate.uow.commits
    assert not await sign_out(authgate, access_token=access_token, refresh_token=refresh_token)
    assert authgate.uow.commits == commits
    await authgate.access(alice.access_token.value)


async def test_sign_out_with_a_token_signed_by_another_key_ends_nothing(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    session = authgate.session_of(alice.access_token.value)
    forged = authgate.forge(claims_for(session.user_id, session.id, authgate.clock.now()))
    assert not await sign_out(authgate, access_token=forged)
    await authgate.access(alice.access_token.value)


async def test_signing_out_twice_is_harmless(
    authgate: Authgate, alice: AuthenticateUserResponse
) -> None:
    await sign_out(authgate, access_token=alice.access_token.value)
    revoked_at = authgate.session_of(alice.access_token.value).revoked_at
    authgate.clock.advance(timedelta(minutes=1))
    await sign_out(authgate, access_token=alice.access_token.value)
    assert authgate.session_of(alice.access_token.value).revoked_at == revoked_at
    await assert_session_ended(authgate, alice)
