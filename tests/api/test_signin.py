import jwt
import pytest

from domain.roles import Role
from tests.service import DEFAULT_PASSWORD, Service
from tests.storages import STORAGES
from tests.tokens import verified_claims

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

INVALID = {"accessToken": None, "message": "Invalid username or password."}


async def test_signin_answers_what_the_clients_store(service: Service) -> None:
    await service.signup("Alice", email="Alice@Example.com")
    user_id = await service.backdoor.user_id("alice")
    assert user_id is not None
    await service.backdoor.set_roles(user_id, {Role.ADMIN, Role.USER, Role.MODERATOR})

    response = await service.signin("alice")

    assert response.status_code == 200
    body = response.json()
    assert list(body)[:8] == [
        "id",
        "username",
        "email",
        "roles",
        "accessToken",
        "tokenType",
        "refreshToken",
        "expiresIn",
    ]
    assert body["id"] == user_id
    assert body["username"] == "Alice"
    assert body["email"] == "Alice@Example.com"
    assert body["roles"] == ["ROLE_USER", "ROLE_MODERATOR", "ROLE_ADMIN"]
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 3600
    assert len(body["refreshToken"]) >= 43


async def test_the_access_token_is_an_es256_jwt_with_the_contracts_claims(
    service: Service,
) -> None:
    body = await service.signed_in("alice")

    token = body["accessToken"]
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    jwks = (await service.client.get("/.well-known/jwks.json")).json()
    claims = verified_claims(token, jwks)
    assert claims["sub"] == str(body["id"])
    assert {"iat", "exp", "jti", "sid"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 3600


async def test_signin_sets_the_access_token_as_a_strict_http_only_cookie(
    service: Service,
) -> None:
    await service.signup("alice")

    response = await service.signin("alice")

    cookie = response.headers["set-cookie"]
    assert f"={response.json()['accessToken']};" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/api" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize("settings_overrides", [{"cookie_secure": True}])
async def test_the_cookie_is_secure_when_configured(service: Service) -> None:
    await service.signup("alice")

    response = await service.signin("alice")

    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("spelling", ["alice", "ALICE", "aLiCe"])
async def test_username_matches_ignoring_case(service: Service, spelling: str) -> None:
    await service.signup("Alice")

    assert (await service.signin(spelling)).status_code == 200


async def test_unknown_user_and_wrong_password_answer_the_same(service: Service) -> None:
    await service.signup("alice")

    unknown = await service.signin("nobody")
    wrong = await service.signin("alice", "wrong password")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == INVALID


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice"},
        {"password": DEFAULT_PASSWORD},
        {"username": 1, "password": DEFAULT_PASSWORD},
        {"username": "alice", "password": None},
    ],
)
async def test_missing_or_non_string_fields_are_a_bad_request(
    service: Service, body: dict[str, object]
) -> None:
    response = await service.client.post("/api/auth/signin", json=body)

    assert response.status_code == 400
    assert response.json()["message"]


@pytest.mark.parametrize("password", ["x" * 73, "", "é" * 100])
async def test_impossible_passwords_are_just_wrong(service: Service, password: str) -> None:
    await service.signup("alice")

    response = await service.signin("alice", password)

    assert response.status_code == 401
    assert response.json() == INVALID


async def test_a_hash_of_another_cost_is_upgraded_at_signin(service: Service) -> None:
    await service.signup("alice")
    user_id = await service.backdoor.user_id("alice")
    assert user_id is not None

    async def stored_cost() -> str:
        return (await service.backdoor.password_hash(user_id)).split("$")[2]

    assert await stored_cost() == "04"
    await service.backdoor.set_password_cost(user_id, DEFAULT_PASSWORD, 5)
    assert await stored_cost() == "05"

    assert (await service.signin("alice")).status_code == 200

    assert await stored_cost() == "04"
    assert (await service.signin("alice")).status_code == 200
