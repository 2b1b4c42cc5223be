from datetime import timedelta

import pytest

from application.common.errors import RefreshTokenReused
from application.sessions.refresh_session import RefreshSessionRequest
from application.sessions.sign_out import SignOutRequest
from tests.unit.authgate import POLICY, Authgate


def tokens_of(authgate: Authgate, session_id: str) -> int:
    return sum(1 for t in authgate.storage.refresh_tokens.values() if t.session_id == session_id)


async def test_purge_removes_revoked_and_expired_sessions_with_their_tokens_and_keeps_live_ones(
    authgate: Authgate,
) -> None:
    await authgate.signup("alice")
    expiring = await authgate.signin("alice")
    authgate.clock.advance(POLICY.session_lifetime - timedelta(minutes=5))
    live = await authgate.signin("alice")
    signed_out = await authgate.signin("alice")
    await authgate.sign_out.by(signed_out.access_token.value).execute(SignOutRequest())
    expiring_id = authgate.session_of(expiring.access_token.value).id
    live_id = authgate.session_of(live.access_token.value).id
    signed_out_id = authgate.session_of(signed_out.access_token.value).id
    authgate.clock.advance(timedelta(minutes=5))

    purged = await authgate.purge.execute()

    assert purged == 2
    assert set(authgate.storage.sessions) == {live_id}
    assert tokens_of(authgate, expiring_id) == tokens_of(authgate, signed_out_id) == 0
    assert tokens_of(authgate, live_id) == 1
    await authgate.access(live.access_token.value)
    await authgate.refresh.execute(RefreshSessionRequest(live.refresh_token.value))


async def test_purge_removes_sessions_revoked_for_refresh_token_reuse(authgate: Authgate) -> None:
    signed_in = await authgate.signed_in("alice")
    await authgate.refresh.execute(RefreshSessionRequest(signed_in.refresh_token.value))
    authgate.clock.advance(POLICY.reuse_grace + timedelta(seconds=1))
    with pytest.raises(RefreshTokenReused):
        await authgate.refresh.execute(RefreshSessionRequest(signed_in.refresh_token.value))

    assert await authgate.purge.execute() == 1
    assert not authgate.storage.sessions
    assert not authgate.storage.refresh_tokens


async def test_purge_with_nothing_ended_removes_nothing_and_returns_zero(
    authgate: Authgate,
) -> None:
    await authgate.signed_in("alice")
    await authgate.signin("alice")
    sessions, tokens = dict(authgate.storage.sessions), dict(authgate.storage.refresh_tokens)

    assert await authgate.purge.execute() == 0

    assert authgate.storage.sessions == sessions
    assert authgate.storage.refresh_tokens == tokens


async def test_purge_drops_expired_refresh_tokens_of_a_session_it_keeps(
    authgate: Authgate,
) -> None:
    signed_in = await authgate.signed_in("alice")
    session_id = authgate.session_of(signed_in.access_token.value).id
    authgate.clock.advance(POLICY.refresh_token_lifetime)

    assert await authgate.purge.execute() == 0

    assert session_id in authgate.storage.sessions
    assert tokens_of(authgate, session_id) == 0


async def test_purge_commits_the_unit_of_work(authgate: Authgate) -> None:
    await authgate.purge.execute()
    assert authgate.uow.commits == 1
