import asyncio

import pytest

from domain.roles import Role
from tests.service import Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)


async def test_signup_answers_the_clients_message(service: Service) -> None:
    response = await service.signup("alice")

    assert response.status_code == 200
    assert response.json() == {"message": "User registered successfully!"}


async def test_signup_without_roles_or_with_empty_roles_grants_only_user(service: Service) -> None:
    assert (await service.signup("alice")).status_code == 200
    assert (await service.signup("bob", roles=[])).status_code == 200

    for name in ("alice", "bob"):
        assert (await service.signin(name)).json()["roles"] == ["ROLE_USER"]


@pytest.mark.parametrize("taken", ["alice", "ALICE", "Alice"])
async def test_username_is_unique_ignoring_case(service: Service, taken: str) -> None:
    await service.signup("alice")

    response = await service.signup(taken, email="other@example.com")

    assert response.status_code == 400
    assert response.json() == {"message": "Failed! Username is already in use!"}
    assert await service.backdoor.count_users() == 1


async def test_email_is_unique_ignoring_case(service: Service) -> None:
    await service.signup("alice", email="alice@example.com")

    response = await service.signup("bob", email="ALICE@Example.COM")

    assert response.status_code == 400
    assert response.json() == {"message": "Failed! Email is already in use!"}
    assert await service.backdoor.count_users() == 1


async def test_unknown_role_is_refused_by_name(service: Service) -> None:
    response = await service.signup("alice", roles=["user", "superuser"])

    assert response.status_code == 400
    assert response.json() == {"message": "Failed! Role does not exist = superuser"}
    assert await service.backdoor.count_users() == 0


@pytest.mark.parametrize("roles", [["admin"], ["moderator"], ["user", "admin"]])
async def test_nobody_can_self_register_a_privileged_role(
    service: Service, roles: list[str]
) -> None:
    response = await service.signup("mallory", roles=roles)

    assert response.status_code == 403
    assert "administrator" in response.json()["message"]
    assert await service.backdoor.count_users() == 0
    assert (await service.signin("mallory")).status_code == 401


async def test_a_plain_users_token_cannot_grant_a_privileged_role(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await service.signup("mallory", roles=["admin"], token=user["accessToken"])

    assert response.status_code == 403
    assert await service.backdoor.user_id("mallory") is None


@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
async def test_a_bad_token_cannot_grant_a_privileged_role_either(
    service: Service, token: str
) -> None:
    response = await service.signup("mallory", roles=["admin"], token=token)

    assert response.status_code == 403
    assert await service.backdoor.count_users() == 0


async def test_an_administrator_can_register_a_moderator(service: Service) -> None:
    admin = await service.signed_in("root", roles={Role.ADMIN})

    response = await service.signup("mod", roles=["moderator"], token=admin["accessToken"])

    assert response.status_code == 200
    assert (await service.signin("mod")).json()["roles"] == ["ROLE_MODERATOR"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "password": "password1"}, "username"),
        ({"username": "alice", "password": "password1"}, "email"),
        ({"username": "alice", "email": "a@example.com"}, "password"),
        ({"username": 42, "email": "a@example.com", "password": "password1"}, "username"),
        ({"username": "alice", "email": None, "password": "password1"}, "email"),
        ({"username": "alice", "email": "a@example.com", "password": ["x"]}, "password"),
        (
            {
                "username": "alice",
                "email": "a@example.com",
                "password": "password1",
                "roles": "admin",
            },
            "roles",
        ),
        (
            {"username": "alice", "email": "a@example.com", "password": "password1", "roles": [1]},
            "roles",
        ),
        ({"username": "al", "email": "a@example.com", "password": "password1"}, "username"),
        ({"username": "a" * 21, "email": "a@example.com", "password": "password1"}, "username"),
        ({"username": "al ice", "email": "a@example.com", "password": "password1"}, "username"),
        ({"username": "alice", "email": "not-an-email", "password": "password1"}, "email"),
        (
            {"username": "alice", "email": "a@" + "b" * 250 + ".io", "password": "password1"},
            "email",
        ),
        ({"username": "alice", "email": "a@example.com", "password": "short"}, "password"),
        ({"username": "alice", "email": "a@example.com", "password": "x" * 73}, "password"),
        ({"username": "alice", "email": "a@example.com", "password": "é" * 37}, "password"),
    ],
)
async def test_missing_or_invalid_fields_are_refused_by_name(
    service: Service, body: dict[str, object], field: str
) -> None:
    response = await service.client.post("/api/auth/signup", json=body)

    assert response.status_code == 400
    assert field in response.json()["message"]
    assert await service.backdoor.count_users() == 0


async def test_a_password_of_exactly_72_bytes_is_kept_whole(service: Service) -> None:
    password = "é" * 36  # 72 bytes in UTF-8
    assert (await service.signup("alice", password=password)).status_code == 200

    assert (await service.signin("alice", password)).status_code == 200
    assert (await service.signin("alice", "é" * 35 + "e")).status_code == 401


async def test_two_identical_concurrent_signups_make_exactly_one_user(service: Service) -> None:
    first, second = await asyncio.gather(service.signup("twin"), service.signup("twin"))

    assert sorted([first.status_code, second.status_code]) == [200, 400]
    loser = first if first.status_code == 400 else second
    assert loser.json()["message"] in {
        "Failed! Username is already in use!",
        "Failed! Email is already in use!",
    }
    assert await service.backdoor.count_users() == 1


async def test_many_concurrent_signups_differing_only_in_case_make_one_user(
    service: Service,
) -> None:
    names = ["racer", "RACER", "Racer", "rAcEr", "raceR", "RaCeR"]
    responses = await asyncio.gather(
        *(service.signup(name, email=f"{name}@example.com") for name in names)
    )

    assert sorted(r.status_code for r in responses) == [200] + [400] * (len(names) - 1)
    assert await service.backdoor.count_users() == 1
