import asyncio
from datetime import timedelta
from typing import Any

import pytest
from httpx import Response

from tests.service import Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

NOT_IN_DATABASE = {"message": "Refresh token is not in database!"}
SIGNED_OUT = {"message": "You've been signed out!"}


async def refresh(service: Service, token: str | None) -> Response:
    body: dict[str, Any] = {} if token is None else {"refreshToken": token}
    return await service.client.post("/api/auth/refreshtoken", json=body)


async def test_a_refresh_rotates_both_tokens(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await refresh(service, user["refreshToken"])

    assert response.status_code == 200
    body = response.json()
    assert list(body)[:2] == ["accessToken", "refreshToken"]
    assert body["refreshToken"] != user["refreshToken"]
    assert (await service.get("/api/test/user", body["accessToken"])).status_code == 200
    assert (await refresh(service, body["refreshToken"])).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"refresh_reuse_grace": 0}])
async def test_reusing_a_rotated_token_revokes_the_whole_session(service: Service) -> None:
    user = await service.signed_in("alice")
    rotated = (await refresh(service, user["refreshToken"])).json()
    service.clock.advance(timedelta(seconds=1))

    reuse = await refresh(service, user["refreshToken"])

    assert reuse.status_code == 403
    assert "signin" in reuse.json()["message"]
    assert (await refresh(service, rotated["refreshToken"])).json() == NOT_IN_DATABASE
    for token in (user["accessToken"], rotated["accessToken"]):
        response = await service.get("/api/test/user", token)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized!"}


async def test_a_retry_within_the_grace_window_gets_the_same_refresh_token(
    service: Service,
) -> None:
    user = await service.signed_in("alice")
    lost = await refresh(service, user["refreshToken"])  # this answer is lost on the way
    stored = await service.backdoor.refresh_tokens_of(user["id"])
    service.clock.advance(timedelta(seconds=service.settings.tokens.refresh_reuse_grace))

    retry = await refresh(service, user["refreshToken"])

    assert retry.status_code == 200
    assert retry.json()["refreshToken"] == lost.json()["refreshToken"]
    assert (await service.get("/api/test/user", retry.json()["accessToken"])).status_code == 200
    assert await service.backdoor.refresh_tokens_of(user["id"]) == stored
    assert await service.backdoor.live_refresh_tokens(user["id"]) == 1


# The requests queue for connections and row locks; the deadline is not what is tested here.
@pytest.mark.parametrize("settings_overrides", [{"db_deadline": 60}])
async def test_a_hundred_concurrent_refreshes_with_one_token_all_get_one_new_token(
    service: Service,
) -> None:
    user = await service.signed_in("alice")

    responses = await asyncio.gather(*(refresh(service, user["refreshToken"]) for _ in range(100)))

    assert [r.status_code for r in responses] == [200] * 100, {r.text for r in responses}
    [successor] = {r.json()["refreshToken"] for r in responses}
    assert successor != user["refreshToken"]
    assert await service.backdoor.live_refresh_tokens(user["id"]) == 1
    assert (await refresh(service, successor)).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"refresh_rotation": False}])
async def test_with_rotation_off_a_refresh_answers_the_same_refresh_token(
    service: Service,
) -> None:
    user = await service.signed_in("alice")

    first = await refresh(service, user["refreshToken"])
    service.clock.advance(timedelta(minutes=10))
    second = await refresh(service, user["refreshToken"])

    assert first.status_code == second.status_code == 200
    assert first.json()["refreshToken"] == second.json()["refreshToken"] == user["refreshToken"]
    assert (await service.get("/api/test/user", second.json()["accessToken"])).status_code == 200
    assert await service.backdoor.refresh_tokens_of(user["id"]) == 1


async def test_refresh_without_a_token_is_refused(service: Service) -> None:
    for response in (
        await refresh(service, None),
        await service.client.post("/api/auth/refreshtoken"),
        await refresh(service, ""),
    ):
        assert response.status_code == 403
        assert response.json() == {"message": "Refresh Token is required!"}


async def test_an_unknown_refresh_token_is_not_in_the_database(service: Service) -> None:
    response = await refresh(service, "made-up")

    assert response.status_code == 403
    assert response.json() == NOT_IN_DATABASE


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_ttl": 60}])
async def test_an_expired_refresh_token_asks_for_a_new_signin(service: Service) -> None:
    user = await service.signed_in("alice")
    service.clock.advance(timedelta(seconds=61))

    response = await refresh(service, user["refreshToken"])

    assert response.status_code == 403
    assert response.json() == {
        "message": "Refresh token was expired. Please make a new signin request"
    }


@pytest.mark.parametrize("settings_overrides", [{"session_ttl": 100, "refresh_token_ttl": 60}])
async def test_refreshing_never_extends_a_session_past_its_absolute_lifetime(
    service: Service,
) -> None:
    token = (await service.signed_in("alice"))["refreshToken"]
    for _ in range(3):
        service.clock.advance(timedelta(seconds=40))
        response = await refresh(service, token)
        if response.status_code != 200:
            break
        token = response.json()["refreshToken"]

    assert response.status_code == 403
    assert "expired" in response.json()["message"]


async def test_signout_by_header_ends_the_session_and_clears_the_cookie(
    service: Service,
) -> None:
    user = await service.signed_in("alice")

    response = await service.client.post(
        "/api/auth/signout", headers={"Authorization": f"Bearer {user['accessToken']}"}
    )

    assert response.status_code == 200
    assert response.json() == SIGNED_OUT
    cookie = response.headers["set-cookie"]
    assert "Max-Age=0" in cookie
    assert "Path=/api" in cookie
    assert (await service.get("/api/test/user", user["accessToken"])).status_code == 401
    assert (await refresh(service, user["refreshToken"])).json() == NOT_IN_DATABASE


async def test_signout_by_refresh_token_ends_the_session(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await service.client.post(
        "/api/auth/signout", json={"refreshToken": user["refreshToken"]}
    )

    assert response.status_code == 200
    assert (await service.get("/api/test/user", user["accessToken"])).status_code == 401


async def test_signout_ends_only_its_own_session(service: Service) -> None:
    first = await service.signed_in("alice")
    second = (await service.signin("alice")).json()
    service.client.cookies.clear()

    await service.client.post("/api/auth/signout", headers={"x-access-token": first["accessToken"]})

    assert (await service.get("/api/test/user", second["accessToken"])).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-access-token": "garbage"}, {"Authorization": "Bearer a.b.c"}],
)
async def test_signout_without_a_valid_token_still_succeeds(
    service: Service, headers: dict[str, str]
) -> None:
    response = await service.client.post("/api/auth/signout", headers=headers)

    assert response.status_code == 200
    assert response.json() == SIGNED_OUT
    assert "Max-Age=0" in response.headers["set-cookie"]


async def test_the_cookie_client_flow(service: Service) -> None:
    await service.signup("alice")
    signin = await service.signin("alice")
    cookie = service.client.cookies.get("authgate-access-token")
    assert cookie == signin.json()["accessToken"]

    assert (await service.client.get("/api/test/user")).text == "User Content."

    signout = await service.client.post("/api/auth/signout", json={})
    assert signout.status_code == 200
    assert service.client.cookies.get("authgate-access-token") is None

    # A client that kept the old cookie anyway is refused.
    response = await service.client.get(
        "/api/test/user", headers={"Cookie": f"authgate-access-token={cookie}"}
    )
    assert response.status_code == 401
