import math
from datetime import timedelta
from typing import Any

import jwt
import pytest

from domain.roles import Role
from tests.service import Service
from tests.storages import STORAGES
from tests.tokens import OTHER_SECRET, signed, unsigned, with_payload

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

UNAUTHORIZED = {"message": "Unauthorized!"}
CONTENT = {
    "/api/test/user": "User Content.",
    "/api/test/mod": "Moderator Content.",
    "/api/test/admin": "Admin Content.",
}


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_public_content_needs_no_token(service: Service) -> None:
    response = await service.get("/api/test/all")

    assert response.status_code == 200
    assert response.text == "Public Content."
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("path", list(CONTENT))
async def test_protected_content_without_a_token_is_forbidden(service: Service, path: str) -> None:
    response = await service.get(path)

    assert response.status_code == 403
    assert response.json() == {"message": "No token provided!"}


async def test_each_role_sees_its_content_as_plain_text(service: Service) -> None:
    everyone = await service.signed_in("everyone", {Role.USER, Role.MODERATOR, Role.ADMIN})

    for path, text in CONTENT.items():
        response = await service.get(path, everyone["accessToken"])
        assert response.status_code == 200
        assert response.text == text
        assert response.headers["content-type"] == "text/plain; charset=utf-8"


async def test_roles_do_not_imply_each_other(service: Service) -> None:
    admin = await service.signed_in("root", {Role.ADMIN})
    user = await service.signed_in("alice")

    mod_by_admin = await service.get("/api/test/mod", admin["accessToken"])
    admin_by_user = await service.get("/api/test/admin", user["accessToken"])
    mod_by_user = await service.get("/api/test/mod", user["accessToken"])

    assert mod_by_admin.status_code == 403
    assert mod_by_admin.json() == {"message": "Require Moderator Role!"}
    assert admin_by_user.status_code == 403
    assert admin_by_user.json() == {"message": "Require Admin Role!"}
    assert mod_by_user.json() == {"message": "Require Moderator Role!"}


async def test_the_token_is_accepted_as_bearer_authorization(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await service.client.get(
        "/api/test/user", headers={"Authorization": f"Bearer {user['accessToken']}"}
    )

    assert response.status_code == 200


async def test_x_access_token_is_read_before_authorization(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await service.client.get(
        "/api/test/user",
        headers={"x-access-token": "garbage", "Authorization": f"Bearer {user['accessToken']}"},
    )

    assert response.status_code == 401


async def test_a_role_taken_away_takes_effect_at_once(service: Service) -> None:
    moderator = await service.signed_in("mod", {Role.USER, Role.MODERATOR})
    assert (await service.get("/api/test/mod", moderator["accessToken"])).status_code == 200

    await service.backdoor.set_roles(moderator["id"], {Role.USER})

    response = await service.get("/api/test/mod", moderator["accessToken"])
    assert response.status_code == 403
    assert response.json() == {"message": "Require Moderator Role!"}


async def test_an_expired_token_says_so_for_the_refresh_clients(service: Service) -> None:
    user = await service.signed_in("alice")
    service.clock.advance(service.settings.tokens.access_token_lifetime)
    expired = user["accessToken"]

    response = await service.get("/api/test/user", expired)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized! Access Token was expired!"}


async def test_a_token_of_a_deleted_user_is_refused(service: Service) -> None:
    user = await service.signed_in("alice")

    await service.backdoor.delete_user(user["id"])

    response = await service.get("/api/test/user", user["accessToken"])
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def _forgeries(genuine: str) -> dict[str, str]:
    claims = _claims(genuine)
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    no_sid = {k: v for k, v in claims.items() if k != "sid"}
    later = {**claims, "exp": claims["exp"] + 10 * 365 * 86400}
    return {
        "alg none": unsigned(claims),
        "alg none, capitalised": unsigned(claims).replace("bm9uZ", "Tm9uZ"),
        "HS512 with the right secret": signed(claims, algorithm="HS512"),
        "HS384 with the right secret": signed(claims, algorithm="HS384"),
        "no exp": signed(no_exp),
        "no session": signed(no_sid),
        "numeric sub": signed({**claims, "sub": int(claims["sub"])}),
        "another user": signed({**claims, "sub": "999999"}),
        "another session": signed({**claims, "sid": "0" * 32}),
        "huge sub": signed({**claims, "sub": "9" * 5000}),
        "exp NaN": signed({**claims, "exp": math.nan}),
        "exp Infinity": signed({**claims, "exp": math.inf}),
        "exp 1e20": signed({**claims, "exp": 1e20}),
        "exp a float": signed({**claims, "exp": claims["exp"] + 0.5}),
        "over 1024 characters": signed({**claims, "pad": "x" * 1024}),
        "padded signature": genuine + "=",
        "wrong secret": signed(later, OTHER_SECRET),
        "extended expiry, old signature": with_payload(genuine, later),
        "malformed": "not.a.jwt",
        "one segment": "eyJhbGciOiJIUzI1NiJ9",
        "non-ascii": "ééé.ééé.ééé",
    }


async def test_forged_and_malformed_tokens_are_unauthorized(service: Service) -> None:
    user = await service.signed_in("alice", {Role.USER, Role.MODERATOR, Role.ADMIN})

    for name, token in _forgeries(user["accessToken"]).items():
        response = await service.client.get(
            "/api/test/admin", headers={b"authorization": f"Bearer {token}".encode()}
        )
        assert response.status_code == 401, name
        assert response.json() == UNAUTHORIZED, name

    genuine = await service.get("/api/test/admin", user["accessToken"])
    assert genuine.status_code == 200


async def test_a_signed_out_sessions_token_is_refused(service: Service) -> None:
    user = await service.signed_in("alice")

    await service.client.post("/api/auth/signout", headers={"x-access-token": user["accessToken"]})

    response = await service.get("/api/test/user", user["accessToken"])
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("settings_overrides", [{"session_ttl": 600}])
async def test_an_access_token_outliving_its_session_is_refused(service: Service) -> None:
    user = await service.signed_in("alice")  # the access token lives an hour, the session less
    service.clock.advance(timedelta(seconds=599))
    assert (await service.get("/api/test/user", user["accessToken"])).status_code == 200

    service.clock.advance(timedelta(seconds=1))

    response = await service.get("/api/test/user", user["accessToken"])
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
