"""What the service answers to malformed, mislabelled or cross-site input, and the headers every
answer carries. The same on every storage: none of it reaches the database."""

import re
from typing import Any

import pytest

from domain.roles import Role
from tests.service import Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

AUTH_ENDPOINTS = [
    "/api/auth/signup",
    "/api/auth/signin",
    "/api/auth/refreshtoken",
    "/api/auth/signout",
]
JSON = {"content-type": "application/json"}
CLIENT_ORIGIN = "http://localhost:8081"
NOSNIFF = "nosniff"


def assert_json_message(response: Any, status_code: int) -> str:
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"].startswith("application/json")
    message: str = response.json()["message"]
    assert message
    return message


@pytest.mark.parametrize("path", AUTH_ENDPOINTS)
async def test_a_body_of_invalid_utf8_is_a_bad_request(service: Service, path: str) -> None:
    body = b'{"username": "\xff\xfe", "password": "x", "refreshToken": "\xc3"}'

    response = await service.client.post(path, content=body, headers=JSON)

    assert "UTF-8" in assert_json_message(response, 400)
    assert await service.backdoor.count_users() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1500 + b"]" * 1500,
        b'{"a":' * 1500 + b"1" + b"}" * 1500,
        b'{"username": ' + b"[" * 20_000,
    ],
    ids=["arrays", "objects", "unclosed"],
)
@pytest.mark.parametrize("path", AUTH_ENDPOINTS)
async def test_json_nested_too_deeply_is_a_bad_request(
    service: Service, path: str, body: bytes
) -> None:
    response = await service.client.post(path, content=body, headers=JSON)

    assert_json_message(response, 400)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        None,
    ],
)
@pytest.mark.parametrize("path", AUTH_ENDPOINTS)
async def test_a_body_not_labelled_json_is_refused_with_415(
    service: Service, path: str, content_type: str | None
) -> None:
    """What a page on another origin can send without a CORS preflight."""
    body = b'{"username":"alice","email":"alice@example.com","password":"password123"}'
    headers = {"content-type": content_type} if content_type else {}

    response = await service.client.post(path, content=body, headers=headers)

    assert response.status_code == 415
    assert response.json() == {"message": "Content-Type must be application/json."}
    assert await service.backdoor.count_users() == 0


async def test_a_mislabelled_signin_sets_no_cookie(service: Service) -> None:
    await service.signup("alice")

    response = await service.client.post(
        "/api/auth/signin",
        content=b'{"username":"alice","password":"correct horse battery"}',
        headers={"content-type": "text/plain"},
    )

    assert response.status_code == 415
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=utf-8"])
async def test_json_with_parameters_or_other_case_is_accepted(
    service: Service, content_type: str
) -> None:
    response = await service.client.post(
        "/api/auth/signup",
        content=b'{"username":"alice","email":"alice@example.com","password":"a less common one"}',
        headers={"content-type": content_type},
    )

    assert response.status_code == 200


@pytest.mark.parametrize("content_type", [None, "text/plain"])
@pytest.mark.parametrize(
    ("path", "status_code"), [("/api/auth/signout", 200), ("/api/auth/refreshtoken", 403)]
)
async def test_no_body_where_it_is_optional_is_not_refused(
    service: Service, path: str, status_code: int, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = await service.client.post(path, headers=headers)

    assert response.status_code == status_code


async def test_token_answers_are_not_stored_by_caches(service: Service) -> None:
    await service.signup("alice")
    signin = await service.signin("alice")
    refresh = await service.client.post(
        "/api/auth/refreshtoken", json={"refreshToken": signin.json()["refreshToken"]}
    )
    signout = await service.client.post(
        "/api/auth/signout", headers={"x-access-token": refresh.json()["accessToken"]}
    )

    for response in (signin, refresh, signout):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("settings_overrides", [{"rate_limits": True, "signup_address_limit": 2}])
async def test_every_answer_under_auth_user_and_admin_is_not_stored(service: Service) -> None:
    """Found by a review: personal and administrative answers, and refusals under /api/auth/,
    carried no Cache-Control; a shared cache could keep a user list or a user's sessions."""
    admin = await service.signed_in("root", {Role.USER, Role.ADMIN})
    user = await service.signed_in("alice")
    admin_token, user_token = (
        {"x-access-token": admin["accessToken"]},
        {"x-access-token": user["accessToken"]},
    )
    client = service.client
    answers = {
        "me": (200, await client.get("/api/user/me", headers=user_token)),
        "sessions": (200, await client.get("/api/user/sessions", headers=user_token)),
        "users": (200, await client.get("/api/admin/users", headers=admin_token)),
        "audit": (200, await client.get("/api/admin/audit", headers=admin_token)),
        "bad signin": (401, await service.signin("alice", "wrong-password")),
        "bad refresh": (403, await client.post("/api/auth/refreshtoken", json={})),
        "no token": (403, await client.get("/api/user/me")),
        "expired or forged": (
            401,
            await client.get("/api/user/me", headers={"x-access-token": "x"}),
        ),
        "not an admin": (403, await client.get("/api/admin/users", headers=user_token)),
        "no such user": (404, await client.get("/api/admin/users/999999", headers=admin_token)),
        "last admin": (
            409,
            await client.post(f"/api/admin/users/{admin['id']}/disable", headers=admin_token),
        ),
        "bad cursor": (400, await client.get("/api/admin/users?cursor=x", headers=admin_token)),
        "mislabelled": (415, await client.post("/api/auth/signin", content=b"{}")),
        "too large": (
            413,
            await client.post("/api/auth/signin", content=b"x" * 70_000, headers=JSON),
        ),
        "wrong method": (405, await client.get("/api/auth/signin")),
        "no such route": (404, await client.get("/api/user/nowhere")),
        "throttled": (429, await service.signup("bob")),
        "preflight": (
            204,
            await client.options(
                "/api/user/me",
                headers={"Origin": CLIENT_ORIGIN, "Access-Control-Request-Method": "GET"},
            ),
        ),
    }

    for name, (status_code, response) in answers.items():
        assert response.status_code == status_code, (name, response.text)
        assert response.headers.get_list("cache-control") == ["no-store"], name
    # Public answers stay cacheable: the rule is the private paths', not every answer's.
    assert "cache-control" not in (await client.get("/api/test/all")).headers


async def test_every_answer_says_nosniff(service: Service) -> None:
    user = await service.signed_in("alice")
    answers = {
        "public": await service.client.get("/api/test/all"),
        "protected": await service.client.get(
            "/api/test/user", headers={"x-access-token": user["accessToken"]}
        ),
        "403": await service.client.get("/api/test/admin"),
        "404": await service.client.get("/api/nowhere"),
        "405": await service.client.get("/api/auth/signin"),
        "400": await service.client.post("/api/auth/signin", content=b"{", headers=JSON),
        "415": await service.client.post("/api/auth/signin", content=b"{}"),
        "413": await service.client.post("/api/auth/signin", content=b"x" * 70_000, headers=JSON),
        "preflight": await service.client.options(
            "/api/auth/signin",
            headers={"Origin": CLIENT_ORIGIN, "Access-Control-Request-Method": "POST"},
        ),
        "refused preflight": await service.client.options(
            "/api/auth/signin",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        ),
        "docs": await service.client.get("/docs"),
    }

    for name, response in answers.items():
        assert response.headers.get("x-content-type-options") == NOSNIFF, name
        assert "strict-transport-security" not in response.headers, name


@pytest.mark.parametrize("settings_overrides", [{"hsts_max_age": 31536000}])
async def test_hsts_is_sent_on_every_answer_when_configured(service: Service) -> None:
    for response in (
        await service.client.get("/api/test/all"),
        await service.client.get("/api/nowhere"),
        await service.client.post("/api/auth/signin", content=b"{}"),
    ):
        assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_the_docs_load_only_packaged_files_under_a_strict_policy(service: Service) -> None:
    page = await service.client.get("/docs")

    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "://" not in page.text
    assert "<script>" not in page.text
    for asset in (
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-init.js",
        "favicon-32x32.png",
    ):
        assert f'"/docs/assets/{asset}"' in page.text
        served = await service.client.get(f"/docs/assets/{asset}")
        assert served.status_code == 200, asset
        assert len(served.content) > 100
    spec = await service.client.get("/docs/openapi.json")
    assert spec.json()["openapi"].startswith("3.1")


async def test_the_packaged_swagger_ui_reads_openapi_31(service: Service) -> None:
    """Swagger UI reads OpenAPI 3.1, which Litestar writes, from its version 5 on."""
    bundle = await service.client.get("/docs/assets/swagger-ui-bundle.js")

    found = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle.text)
    assert found is not None
    assert int(found.group(1)) >= 5


@pytest.mark.parametrize(
    "asset", ["index.html", "index.css", "favicon-16x16.png", "swagger-ui.css.map", "sub/x.js"]
)
async def test_the_docs_serve_no_file_the_page_does_not_load(service: Service, asset: str) -> None:
    response = await service.client.get(f"/docs/assets/{asset}")

    assert_json_message(response, 404)


@pytest.mark.parametrize("settings_overrides", [{"docs_enabled": False}])
async def test_the_docs_can_be_switched_off(service: Service) -> None:
    for path in ("/docs", "/docs/openapi.json", "/docs/assets/swagger-ui-bundle.js"):
        response = await service.client.get(path)
        assert_json_message(response, 404)
    assert (await service.client.get("/api/test/all")).status_code == 200


@pytest.mark.parametrize("path", ["/docs/nowhere", "/docs/assets/nowhere.js"])
async def test_an_unknown_path_under_the_docs_is_a_json_404(service: Service, path: str) -> None:
    response = await service.client.get(path)

    assert_json_message(response, 404)
