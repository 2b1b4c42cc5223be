"""Administration: /api/admin/users and the last-administrator guard over HTTP."""

import asyncio
from typing import Any

import pytest

from domain.roles import Role
from tests.service import DEFAULT_PASSWORD, Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

LAST_ADMIN = {"message": "The last administrator cannot be removed."}
NOT_FOUND = {"message": "User not found."}
USER_KEYS = [
    "id",
    "username",
    "email",
    "roles",
    "disabled",
    "emailVerified",
    "createdAt",
    "lastSigninAt",
    "mfa",
]


def auth(token: str) -> dict[str, str]:
    return {"x-access-token": token}


async def admin_token(service: Service, name: str = "root") -> str:
    admin = await service.signed_in(name, {Role.USER, Role.ADMIN})
    token: str = admin["accessToken"]
    return token


async def call(service: Service, method: str, path: str, token: str, **kwargs: Any) -> Any:
    return await service.client.request(method, path, headers=auth(token), **kwargs)


_ROLES = {"roles": ["user"]}
ADMIN_CALLS = [
    ("GET", "/api/admin/users"),
    ("GET", "/api/admin/users/1"),
    ("PUT", "/api/admin/users/1/roles"),
    ("POST", "/api/admin/users/1/disable"),
    ("POST", "/api/admin/users/1/enable"),
    ("DELETE", "/api/admin/users/1"),
    ("DELETE", "/api/admin/users/1/sessions"),
    ("GET", "/api/admin/audit"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
async def test_administration_requires_the_admin_role(
    service: Service, method: str, path: str
) -> None:
    moderator = await service.signed_in("mod", {Role.USER, Role.MODERATOR})

    response = await call(service, method, path, moderator["accessToken"], json={"roles": ["user"]})
    missing = await service.client.request(method, path, json={"roles": ["user"]})

    assert response.status_code == 403
    assert response.json() == {"message": "Require Admin Role!"}
    assert missing.status_code == 403
    assert missing.json() == {"message": "No token provided!"}


@pytest.mark.parametrize(("method", "path"), [call for call in ADMIN_CALLS if "/1" in call[1]])
async def test_an_id_no_storage_can_hold_is_no_user(
    service: Service, method: str, path: str
) -> None:
    """Found by schemathesis against a server on SQLite: a path id past 64 bits was a 500."""
    token = await admin_token(service)
    huge = str(2**64)

    response = await call(service, method, path.replace("/1", f"/{huge}"), token, json=_ROLES)
    trail = await call(service, "GET", f"/api/admin/audit?userId={huge}", token)

    assert response.status_code == 404
    assert response.json() == {"message": "User not found."}
    assert trail.status_code == 200
    assert trail.json()["items"] == []


async def test_get_one_user(service: Service) -> None:
    token = await admin_token(service)
    alice = await service.signed_in("alice")

    response = await service.get(f"/api/admin/users/{alice['id']}", token)
    unknown = await service.get("/api/admin/users/999999", token)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == USER_KEYS
    assert body["username"] == "alice"
    assert body["roles"] == ["ROLE_USER"]
    assert body["disabled"] is False
    assert body["emailVerified"] is False
    assert body["lastSigninAt"] is not None
    assert unknown.status_code == 404
    assert unknown.json() == NOT_FOUND


async def test_search_by_prefix_role_and_state(service: Service) -> None:
    token = await admin_token(service)
    for name in ("alice", "alfred", "bob", "Al_x"):
        assert (await service.signup(name, email=f"{name.lower()}@corp.example")).status_code == 200
    bob = await service.backdoor.user_id("bob")
    await call(service, "POST", f"/api/admin/users/{bob}/disable", token)

    async def names(query: str) -> list[str]:
        response = await service.get(f"/api/admin/users?{query}", token)
        assert response.status_code == 200, response.text
        return [user["username"] for user in response.json()["items"]]

    assert await names("query=AL") == ["alice", "alfred", "Al_x"]
    assert await names("query=al_") == ["Al_x"]  # "_" is no wildcard
    assert await names("query=al%25") == []
    assert await names("query=bob%40corp") == ["bob"]
    assert await names("role=admin") == ["root"]
    assert await names("disabled=true") == ["bob"]
    assert "bob" not in await names("disabled=false")
    assert await names("query=a&role=user&disabled=false") == ["alice", "alfred", "Al_x"]


LISTINGS = ["/api/admin/users", "/api/admin/audit"]
# Found by a review: "²" passed str.isdigit() and int() refused it, a 500.
HOSTILE_CURSORS = {
    "superscript": "%C2%B2",
    "arabic-indic": "%D9%A3",
    "full-width": "%EF%BC%93",
    "huge": "9" * 19,
    "past 64 bits": str(2**64),
    "negative": "-1",
    "signed": "%2B1",
    "spaced": "%201",
    "decimal": "1.5",
    "letters": "abc",
}
BAD_LISTING_QUERIES = {
    "limit 0": ("/api/admin/users", "limit=0", "limit"),
    "limit 201": ("/api/admin/users", "limit=201", "limit"),
    "audit limit 0": ("/api/admin/audit", "limit=0", "limit"),
    "role": ("/api/admin/users", "role=x", "x"),
    **{
        f"{name} cursor on {listing}": (listing, f"cursor={cursor}", "cursor")
        for name, cursor in HOSTILE_CURSORS.items()
        for listing in LISTINGS
    },
}


@pytest.mark.parametrize(
    ("listing", "query", "word"), BAD_LISTING_QUERIES.values(), ids=BAD_LISTING_QUERIES.keys()
)
async def test_bad_listing_parameters_are_a_bad_request(
    service: Service, listing: str, query: str, word: str
) -> None:
    token = await admin_token(service)

    response = await service.get(f"{listing}?{query}", token)

    assert response.status_code == 400
    assert word in response.json()["message"]


@pytest.mark.parametrize("listing", LISTINGS)
async def test_an_empty_cursor_is_the_first_page(service: Service, listing: str) -> None:
    token = await admin_token(service)

    first = await service.get(f"{listing}?cursor=", token)

    assert first.status_code == 200
    assert first.json() == (await service.get(listing, token)).json()


async def test_pages_neither_repeat_nor_skip_users_created_during_the_walk(
    service: Service,
) -> None:
    token = await admin_token(service)
    for number in range(7):
        assert (await service.signup(f"user{number}")).status_code == 200
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = (await service.get(f"/api/admin/users?{query}", token)).json()
        seen += [user["username"] for user in body["items"]]
        pages += 1
        # Users keep arriving while the walk goes on.
        assert (await service.signup(f"late{pages}")).status_code == 200
        cursor = body["nextCursor"]
        if cursor is None:
            break
    everyone = (await service.get("/api/admin/users?limit=200", token)).json()
    assert everyone["nextCursor"] is None
    assert len(seen) == len(set(seen))
    # Everyone who existed when the walk reached their place was seen, in id order.
    assert seen == [u["username"] for u in everyone["items"]][: len(seen)]
    assert {"root", *(f"user{n}" for n in range(7))} <= set(seen)


async def test_set_roles_takes_effect_on_the_next_request(service: Service) -> None:
    token = await admin_token(service)
    alice = await service.signed_in("alice")

    response = await call(
        service,
        "PUT",
        f"/api/admin/users/{alice['id']}/roles",
        token,
        json={"roles": ["user", "moderator"]},
    )

    assert response.status_code == 200
    assert list(response.json()) == USER_KEYS
    assert response.json()["roles"] == ["ROLE_USER", "ROLE_MODERATOR"]
    assert (await service.get("/api/test/mod", alice["accessToken"])).status_code == 200


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["user", "wizard"], "Failed! Role does not exist = wizard"),
        ([], "Failed! The roles must name at least one role."),
    ],
)
async def test_set_roles_refuses_unknown_or_no_roles(
    service: Service, roles: list[str], message: str
) -> None:
    token = await admin_token(service)
    alice = await service.signed_in("alice")

    response = await call(
        service, "PUT", f"/api/admin/users/{alice['id']}/roles", token, json={"roles": roles}
    )

    assert response.status_code == 400
    assert response.json() == {"message": message}


async def test_disable_ends_sessions_and_signin_answers_after_a_correct_password(
    service: Service,
) -> None:
    token = await admin_token(service)
    alice = await service.signed_in("alice")

    response = await call(service, "POST", f"/api/admin/users/{alice['id']}/disable", token)

    assert response.status_code == 200
    assert response.json()["disabled"] is True
    assert (await service.get("/api/test/user", alice["accessToken"])).status_code == 401
    refresh = await service.client.post(
        "/api/auth/refreshtoken", json={"refreshToken": alice["refreshToken"]}
    )
    assert refresh.status_code == 403
    right = await service.signin("alice")
    assert right.status_code == 403
    assert right.json() == {"message": "Account is disabled."}
    wrong = await service.signin("alice", "not the password")
    assert wrong.status_code == 401
    assert wrong.json() == {"accessToken": None, "message": "Invalid username or password."}

    enabled = await call(service, "POST", f"/api/admin/users/{alice['id']}/enable", token)

    assert enabled.status_code == 200
    assert enabled.json()["disabled"] is False
    assert (await service.signin("alice")).status_code == 200


async def test_tokens_of_a_disabled_user_stop_working_at_once(service: Service) -> None:
    """Even a session the disabling did not end: the authorization query itself excludes
    disabled users."""
    token = await admin_token(service)
    alice = await service.signed_in("alice")
    await call(service, "POST", f"/api/admin/users/{alice['id']}/disable", token)
    await call(service, "POST", f"/api/admin/users/{alice['id']}/enable", token)
    fresh = (await service.signin("alice")).json()
    service.client.cookies.clear()
    assert (await service.get("/api/test/user", fresh["accessToken"])).status_code == 200

    await call(service, "POST", f"/api/admin/users/{alice['id']}/disable", token)

    assert (await service.get("/api/test/user", fresh["accessToken"])).status_code == 401


async def test_delete_a_user(service: Service) -> None:
    token = await admin_token(service)
    alice = await service.signed_in("alice")

    response = await call(service, "DELETE", f"/api/admin/users/{alice['id']}", token)
    again = await call(service, "DELETE", f"/api/admin/users/{alice['id']}", token)

    assert response.status_code == 200
    assert response.json() == {"message": "User deleted."}
    assert (await service.get("/api/test/user", alice["accessToken"])).status_code == 401
    assert again.status_code == 404
    assert again.json() == NOT_FOUND


async def test_end_a_users_sessions(service: Service) -> None:
    token = await admin_token(service)
    alice = await service.signed_in("alice")

    response = await call(service, "DELETE", f"/api/admin/users/{alice['id']}/sessions", token)
    unknown = await call(service, "DELETE", "/api/admin/users/999999/sessions", token)

    assert response.status_code == 200
    assert response.json() == {"message": "Sessions ended."}
    assert (await service.get("/api/test/user", alice["accessToken"])).status_code == 401
    assert (await service.signin("alice")).status_code == 200
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PUT", "/roles", {"roles": ["user"]}),
        ("POST", "/disable", None),
        ("DELETE", "", None),
    ],
)
async def test_the_last_enabled_administrator_cannot_be_removed(
    service: Service, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    # A disabled administrator does not count.
    other = await service.signed_in("other", {Role.ADMIN})
    await call(service, "POST", f"/api/admin/users/{other['id']}/disable", root["accessToken"])

    response = await call(
        service, method, f"/api/admin/users/{root['id']}{suffix}", root["accessToken"], json=body
    )

    assert response.status_code == 409
    assert response.json() == LAST_ADMIN
    assert (await service.get("/api/test/admin", root["accessToken"])).status_code == 200


async def test_an_administrator_may_be_removed_while_another_remains(service: Service) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    await service.signed_in("other", {Role.ADMIN})

    response = await call(
        service,
        "PUT",
        f"/api/admin/users/{root['id']}/roles",
        root["accessToken"],
        json={"roles": ["user"]},
    )

    assert response.status_code == 200
    assert (await service.get("/api/test/admin", root["accessToken"])).status_code == 403


async def test_two_administrators_demoting_each_other_at_once_leave_one(
    service: Service,
) -> None:
    for round_number in range(8):
        first = await service.signed_in(f"first{round_number}", {Role.USER, Role.ADMIN})
        second = await service.signed_in(f"second{round_number}", {Role.USER, Role.ADMIN})
        for old in range(round_number):  # only this round's pair is administrator
            for name in (f"first{old}", f"second{old}"):
                user_id = await service.backdoor.user_id(name)
                assert user_id is not None
                await service.backdoor.set_roles(user_id, {Role.USER})
        demote = {"roles": ["user"]}
        answers = await asyncio.gather(
            call(
                service,
                "PUT",
                f"/api/admin/users/{second['id']}/roles",
                first["accessToken"],
                json=demote,
            ),
            call(
                service,
                "PUT",
                f"/api/admin/users/{first['id']}/roles",
                second["accessToken"],
                json=demote,
            ),
        )

        statuses = sorted(answer.status_code for answer in answers)
        assert statuses in ([200, 409], [200, 403]), [a.text for a in answers]
        admins = (
            await service.get("/api/admin/users?role=admin", _survivor(answers, first, second))
        ).json()
        assert len(admins["items"]) == 1


def _survivor(answers: Any, first: dict[str, Any], second: dict[str, Any]) -> str:
    """The token of the administrator who was not demoted."""
    token: str = first["accessToken"] if answers[0].status_code == 200 else second["accessToken"]
    return token


async def test_signin_of_a_disabled_user_with_a_wrong_password_costs_a_verification(
    service: Service,
) -> None:
    """Same as any failure: the 403 comes only after the password matched."""
    token = await admin_token(service)
    alice = await service.signed_in("alice")
    await call(service, "POST", f"/api/admin/users/{alice['id']}/disable", token)

    assert (await service.signin("alice", DEFAULT_PASSWORD + "x")).status_code == 401


async def test_the_openapi_document_shows_the_refusals_and_no_port(service: Service) -> None:
    paths = (await service.client.get("/docs/openapi.json")).json()["paths"]

    roles = paths["/api/admin/users/{user_id}/roles"]["put"]
    assert set(roles["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
        "503",
    }
    assert roles["security"]
    assert set(paths["/api/user/me"]["delete"]["responses"]) >= {"400", "409"}
    listing = paths["/api/admin/users"]["get"]
    assert [p["name"] for p in listing["parameters"]] == [
        "query",
        "role",
        "disabled",
        "limit",
        "cursor",
    ]
