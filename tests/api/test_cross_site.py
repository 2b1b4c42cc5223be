"""Cross-site requests authenticated by the cookie (CONTRACT.md, "Failures and limits"): a page of
another origin, same site or not, cannot act with the user's cookie, whatever it sends; the
allowed client, the service's own pages, header tokens and reads are unaffected."""

from typing import Any

import pytest
from httpx import Response

from domain.roles import Role
from entrypoints.http.tokens import ACCESS_TOKEN_COOKIE
from tests.service import Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

REFUSED = {"message": "Cross-site request refused."}
# Same site as the service (http://localhost): SameSite cookies are sent from it.
SAME_SITE_PAGE = "http://localhost:9999"
CLIENT_ORIGIN = "http://localhost:8081"
FORM = {"content-type": "application/x-www-form-urlencoded"}


async def admin_and_victim(service: Service) -> tuple[dict[str, Any], int]:
    admin = await service.signed_in("root", {Role.USER, Role.ADMIN})
    assert (await service.signup("bob")).status_code == 200
    bob = await service.backdoor.user_id("bob")
    assert bob is not None
    return admin, bob


def cookie(token: str, **headers: str) -> dict[str, str]:
    return {"cookie": f"{ACCESS_TOKEN_COOKIE}={token}", **headers}


async def disabled(service: Service, admin: dict[str, Any], user_id: int) -> bool:
    response = await service.get(f"/api/admin/users/{user_id}", admin["accessToken"])
    assert response.status_code == 200
    return bool(response.json()["disabled"])


FOREIGN = {
    "same-site page": {"origin": SAME_SITE_PAGE},
    "other site": {"origin": "https://evil.example"},
    "opaque origin": {"origin": "null"},
    "other scheme and port": {"origin": "https://localhost:8081"},
    "no Origin, same-site fetch": {"sec-fetch-site": "same-site"},
    "no Origin, cross-site fetch": {"sec-fetch-site": "cross-site"},
}
BODIES = {
    "form": {"content": b"x=1", "headers": FORM},
    "text": {"content": b"x", "headers": {"content-type": "text/plain"}},
    "none": {},
    "json": {"json": {}},
}


@pytest.mark.parametrize("source", FOREIGN.values(), ids=FOREIGN.keys())
@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
async def test_a_foreign_page_cannot_disable_a_user_with_the_admins_cookie(
    service: Service, source: dict[str, str], body: dict[str, Any]
) -> None:
    """Found by a review: a form on http://localhost:9999 disabled a user with the cookie."""
    admin, bob = await admin_and_victim(service)
    headers = {**cookie(admin["accessToken"]), **source, **body.get("headers", {})}
    sent = {key: value for key, value in body.items() if key != "headers"}

    response = await service.client.post(f"/api/admin/users/{bob}/disable", headers=headers, **sent)

    assert response.status_code == 403
    assert response.json() == REFUSED
    assert response.headers["cache-control"] == "no-store"
    assert not await disabled(service, admin, bob)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/admin/users/{bob}/roles", {"content": b"roles=admin", "headers": FORM}),
        ("DELETE", "/api/admin/users/{bob}", {}),
        ("DELETE", "/api/admin/users/{bob}/sessions", {}),
        ("PATCH", "/api/admin/users/{bob}", {}),
    ],
)
async def test_every_state_changing_method_is_refused_before_its_body_is_read(
    service: Service, method: str, path: str, body: dict[str, Any]
) -> None:
    admin, bob = await admin_and_victim(service)
    headers = {**cookie(admin["accessToken"], origin=SAME_SITE_PAGE), **body.get("headers", {})}

    response = await service.client.request(
        method, path.format(bob=bob), headers=headers, content=body.get("content")
    )

    assert response.status_code == 403
    assert response.json() == REFUSED
    assert await service.backdoor.user_id("bob") == bob


async def test_a_foreign_page_cannot_sign_the_user_out_and_reads_are_not_refused(
    service: Service,
) -> None:
    """A read changes nothing, and CORS keeps its answer from the foreign page."""
    user = await service.signed_in("alice")
    from_the_page = cookie(user["accessToken"], origin=SAME_SITE_PAGE)

    signout = await service.client.post("/api/auth/signout", headers=from_the_page)
    read = await service.client.get("/api/user/me", headers=from_the_page)

    assert signout.status_code == 403
    assert signout.json() == REFUSED
    # The session lives on.
    assert read.status_code == 200
    assert read.json()["username"] == "alice"


ALLOWED = {
    "the allowed client": {"origin": CLIENT_ORIGIN},
    "the allowed client, other case": {"origin": "HTTP://LOCALHOST:8081"},
    "the service's own page": {"origin": "http://localhost"},
    "no browser headers (curl, a server)": {},
    "no Origin, same-origin fetch": {"sec-fetch-site": "same-origin"},
    "no Origin, typed by the user": {"sec-fetch-site": "none"},
}


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
async def test_the_cookie_works_from_allowed_origins(
    service: Service, source: dict[str, str]
) -> None:
    admin, bob = await admin_and_victim(service)

    response = await service.client.post(
        f"/api/admin/users/{bob}/disable", headers=cookie(admin["accessToken"], **source)
    )

    assert response.status_code == 200, response.text
    assert await disabled(service, admin, bob)


@pytest.mark.parametrize("header", ["x-access-token", "authorization"])
async def test_a_header_token_from_a_foreign_origin_is_not_refused(
    service: Service, header: str
) -> None:
    """A foreign page cannot add a header without a preflight, which CORS_ORIGINS decides; a
    request with one is the client's own, even with a cookie beside it."""
    admin, bob = await admin_and_victim(service)
    token = admin["accessToken"]
    value = token if header == "x-access-token" else f"Bearer {token}"

    response: Response = await service.client.post(
        f"/api/admin/users/{bob}/disable",
        headers={**cookie(token, origin=SAME_SITE_PAGE), header: value},
    )

    assert response.status_code == 200, response.text
    assert await disabled(service, admin, bob)


async def test_without_the_cookie_a_foreign_origin_meets_the_usual_answers(
    service: Service,
) -> None:
    response = await service.client.post(
        "/api/auth/signin",
        json={"username": "nobody", "password": "wrong password"},
        headers={"origin": SAME_SITE_PAGE},
    )

    assert response.status_code == 401


async def test_the_openapi_document_lists_the_refusal_on_every_change(service: Service) -> None:
    document = (await service.client.get("/docs/openapi.json")).json()

    changes = [
        (method.upper(), path, operation["responses"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert changes
    undocumented = [
        (method, path)
        for method, path, responses in changes
        if "Cross-site request refused." not in responses.get("403", {}).get("description", "")
    ]
    assert undocumented == []
