import pytest
from litestar.routes import HTTPRoute

from tests.service import Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

CLIENT_ORIGIN = "http://localhost:8081"


async def test_unknown_path_is_a_json_404(service: Service) -> None:
    response = await service.client.get("/api/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["message"]


async def test_wrong_method_is_a_json_405(service: Service) -> None:
    response = await service.client.get("/api/auth/signin")

    assert response.status_code == 405
    assert response.json()["message"]


def _allowed(header: str) -> set[str]:
    return {method.strip() for method in header.split(",")}


async def test_options_and_405_allow_every_method_of_the_path(service: Service) -> None:
    """The methods come from the app's own routes: a path with a GET and a DELETE handler
    (/api/user/me) must be announced with both, whatever order they were registered in."""
    routes = [route for route in service.app.routes if isinstance(route, HTTPRoute)]
    assert any(len(route.methods - {"OPTIONS"}) > 1 for route in routes)

    for route in routes:
        path = route.path_format.format(**dict.fromkeys(route.path_parameters, "1"))
        options = await service.client.options(path)
        missing = min({"GET", "POST", "PUT", "PATCH", "DELETE"} - route.methods)
        refused = await service.client.request(missing, path)

        assert options.status_code == 204, path
        assert _allowed(options.headers["allow"]) == route.methods, path
        assert refused.status_code == 405, (path, missing)
        assert _allowed(refused.headers["allow"]) == route.methods, (path, missing)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"username": "alice", ', "application/json"),
        (b"username=alice&password=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"", "application/json"),
    ],
)
@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/signin"])
async def test_bodies_that_are_not_the_expected_json_are_a_bad_request(
    service: Service, path: str, content: bytes, content_type: str
) -> None:
    response = await service.client.post(
        path, content=content, headers={"content-type": content_type}
    )

    assert response.status_code in {400, 415}
    assert response.json()["message"]
    assert await service.backdoor.count_users() == 0


async def test_an_oversized_body_is_refused(service: Service) -> None:
    padding = "x" * (service.settings.edge.max_body_size + 1)
    response = await service.client.post(
        "/api/auth/signup",
        content=f'{{"username": "alice", "pad": "{padding}"}}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["message"]


async def test_cors_preflight_allows_the_clients_origin_headers_and_credentials(
    service: Service,
) -> None:
    response = await service.client.options(
        "/api/test/user",
        headers={
            "Origin": CLIENT_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-access-token, authorization, content-type",
        },
    )

    assert 200 <= response.status_code < 300
    assert response.headers["access-control-allow-origin"] == CLIENT_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("x-access-token", "authorization", "content-type", "accept", "origin"):
        assert header in allowed


async def test_cors_answers_the_clients_origin_on_real_requests(service: Service) -> None:
    response = await service.client.get("/api/test/all", headers={"Origin": CLIENT_ORIGIN})

    assert response.headers["access-control-allow-origin"] == CLIENT_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_cors_never_allows_a_foreign_origin(service: Service) -> None:
    response = await service.client.get("/api/test/all", headers={"Origin": "https://evil.example"})

    assert response.headers.get("access-control-allow-origin") not in {
        "*",
        "https://evil.example",
    }


async def test_a_refused_preflight_still_answers_json(service: Service) -> None:
    response = await service.client.options(
        "/api/test/user",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert "Origin" in response.json()["message"]
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "settings_overrides",
    [{"cors_origins": ("https://app.example", "https://admin.example")}],
)
async def test_cors_origins_are_configurable(service: Service) -> None:
    for origin in ("https://app.example", "https://admin.example"):
        response = await service.client.get("/api/test/all", headers={"Origin": origin})
        assert response.headers["access-control-allow-origin"] == origin


async def test_the_openapi_docs_describe_the_api_without_dependency_parameters(
    service: Service,
) -> None:
    schema = (await service.client.get("/docs/openapi.json")).json()

    assert {"/api/auth/signup", "/api/auth/signin", "/api/test/admin"} <= set(schema["paths"])
    for path in schema["paths"].values():
        for operation in path.values():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert not names & {"register", "authenticate", "authorize", "refresh", "sign_out"}
    assert (await service.client.get("/docs")).status_code == 200
