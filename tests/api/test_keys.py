"""Tokens other services verify: the key set, its discovery document, rotation and revocation as
a verifier and a client see them, and introspection; on every storage."""

import asyncio
import base64
from datetime import timedelta
from typing import Any

import jwt
import pytest
from dishka import Scope

from application.keys.list_signing_keys import ListSigningKeys
from application.keys.revoke_signing_key import RevokeSigningKey
from application.keys.rotate_signing_key import RotateSigningKey
from application.ports.caller import Caller
from application.shared.identify_caller import OPERATOR
from domain.signing_keys import KeyState, OnlySigningKey
from tests.service import Service
from tests.storages import STORAGES
from tests.tokens import AUDIENCE, ISSUER, TEST_SECRET, verified_claims

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

CLIENT_SECRET = "a client secret of some length"
CLIENTS = {"introspection_clients": (f"billing:{CLIENT_SECRET}",)}
MAX_AGE = timedelta(seconds=600)
LIFETIME = timedelta(seconds=3600)


async def key_set(service: Service) -> dict[str, Any]:
    response = await service.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def kids(jwks: dict[str, Any]) -> list[str]:
    return [key["kid"] for key in jwks["keys"]]


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def operator(service: Service, use_case: type[Any], *args: Any) -> Any:
    """A key command, as `authgate keys ...` runs it."""
    async with service.container(scope=Scope.REQUEST, context={Caller: OPERATOR}) as request:
        return await (await request.get(use_case)).execute(*args)


async def user_page(service: Service, token: str) -> int:
    return (await service.get("/api/test/user", token)).status_code


async def test_the_access_token_is_es256_and_verifies_from_the_published_key_set(
    service: Service,
) -> None:
    body = await service.signed_in("alice")
    token = body["accessToken"]

    header = jwt.get_unverified_header(token)
    jwks = await key_set(service)
    assert header["alg"] == "ES256"
    assert kids(jwks) == [header["kid"]]
    claims = verified_claims(token, jwks)
    assert claims["sub"] == str(body["id"])
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
    assert {"iat", "exp", "jti", "sid"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 3600


async def test_the_key_set_holds_public_keys_only_and_may_be_cached_for_jwks_max_age(
    service: Service,
) -> None:
    response = await service.client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=600"
    [key] = response.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert len(key["kid"]) == 43


async def test_the_discovery_document_names_the_key_set_and_introspection(
    service: Service,
) -> None:
    response = await service.client.get("/.well-known/openid-configuration")

    assert response.status_code == 200
    assert response.json() == {
        "issuer": ISSUER,
        "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
        "introspection_endpoint": f"{ISSUER}/api/auth/introspect",
        "id_token_signing_alg_values_supported": ["ES256"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
    }


@pytest.mark.parametrize("settings_overrides", [{"jwt_algorithm": "HS256"}])
async def test_with_hs256_the_secret_signs_and_no_key_is_published(service: Service) -> None:
    token = (await service.signed_in("alice"))["accessToken"]

    assert await key_set(service) == {"keys": []}
    assert "kid" not in jwt.get_unverified_header(token)
    claims = jwt.decode(token, TEST_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    assert claims["sid"]
    assert await user_page(service, token) == 200


async def test_a_rotation_publishes_at_once_signs_after_jwks_max_age_and_keeps_old_tokens(
    service: Service,
) -> None:
    before = (await service.signed_in("alice"))["accessToken"]
    [old] = kids(await key_set(service))

    new = (await operator(service, RotateSigningKey)).kid
    assert kids(await key_set(service)) == [new, old]
    service.clock.advance(MAX_AGE - timedelta(seconds=1))
    still_old = (await service.signed_in("bob"))["accessToken"]
    service.clock.advance(timedelta(seconds=1))
    after = (await service.signed_in("carol"))["accessToken"]

    assert [kid_of(t) for t in (before, still_old, after)] == [old, old, new]
    for token in (before, still_old, after):
        assert await user_page(service, token) == 200
    states = {k.key.kid: k.state for k in await operator(service, ListSigningKeys)}
    assert states == {old: KeyState.PREVIOUS, new: KeyState.CURRENT}

    # The old key stays published until the last token it signed has expired.
    service.clock.advance(LIFETIME - timedelta(seconds=1))
    assert kids(await key_set(service)) == [new, old]
    service.clock.advance(timedelta(seconds=1))
    assert kids(await key_set(service)) == [new]


async def test_a_revoked_key_leaves_the_key_set_and_its_tokens_are_refused_at_once(
    service: Service,
) -> None:
    old_token = (await service.signed_in("alice"))["accessToken"]
    old = kid_of(old_token)
    with pytest.raises(OnlySigningKey):
        await operator(service, RevokeSigningKey, old)
    new = (await operator(service, RotateSigningKey)).kid
    assert await user_page(service, old_token) == 200  # verified, and so remembered

    await operator(service, RevokeSigningKey, old)

    assert kids(await key_set(service)) == [new]
    assert await user_page(service, old_token) == 401
    # The next key signs at once, a second later at most.
    service.clock.advance(timedelta(seconds=1))
    fresh = (await service.signed_in("bob"))["accessToken"]
    assert kid_of(fresh) == new
    assert await user_page(service, fresh) == 200


async def test_revoking_a_next_key_cancels_its_rotation(service: Service) -> None:
    token = (await service.signed_in("alice"))["accessToken"]
    current = kid_of(token)
    waiting = (await operator(service, RotateSigningKey)).kid

    await operator(service, RevokeSigningKey, waiting)
    service.clock.advance(MAX_AGE)

    assert kids(await key_set(service)) == [current]
    assert kid_of((await service.signed_in("bob"))["accessToken"]) == current
    assert (await operator(service, RotateSigningKey)).kid not in (current, waiting)


def basic(name: str, secret: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()}


BILLING = basic("billing", CLIENT_SECRET)


@pytest.mark.parametrize("settings_overrides", [CLIENTS])
@pytest.mark.parametrize(
    "headers",
    [{}, basic("billing", "a wrong secret of some length"), basic("nobody", CLIENT_SECRET)],
    ids=["none", "wrong secret", "unknown client"],
)
async def test_introspection_without_a_clients_credentials_is_401(
    service: Service, headers: dict[str, str]
) -> None:
    token = (await service.signed_in("alice"))["accessToken"]

    response = await service.client.post(
        "/api/auth/introspect", data={"token": token}, headers=headers
    )

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized client."}
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize("settings_overrides", [CLIENTS])
@pytest.mark.parametrize("encoding", ["form", "json"])
async def test_introspection_describes_a_live_token(service: Service, encoding: str) -> None:
    body = await service.signed_in("alice")
    token = body["accessToken"]
    claims = verified_claims(token, await key_set(service))
    sent: dict[str, Any] = (
        {"data": {"token": token}} if encoding == "form" else {"json": {"token": token}}
    )

    response = await service.client.post("/api/auth/introspect", headers=BILLING, **sent)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "active": True,
        "sub": str(body["id"]),
        "username": "alice",
        "roles": ["ROLE_USER"],
        "sid": claims["sid"],
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": ISSUER,
        "aud": AUDIENCE,
    }


@pytest.mark.parametrize("settings_overrides", [CLIENTS])
async def test_introspection_sees_sign_out_expiry_and_revocation_at_once(
    service: Service,
) -> None:
    async def active(token: str | None) -> bool:
        data = {} if token is None else {"token": token}
        response = await service.client.post("/api/auth/introspect", data=data, headers=BILLING)
        assert response.status_code == 200
        answer: dict[str, Any] = response.json()
        if not answer["active"]:
            assert answer == {"active": False}
        return bool(answer["active"])

    signed_out = (await service.signed_in("alice"))["accessToken"]
    by_revoked_key = (await service.signed_in("bob"))["accessToken"]
    expiring = (await service.signed_in("carol"))["accessToken"]
    assert [await active(t) for t in (signed_out, by_revoked_key, expiring)] == [True] * 3
    await service.client.post("/api/auth/signout", headers={"x-access-token": signed_out})
    await operator(service, RotateSigningKey)
    await operator(service, RevokeSigningKey, kid_of(by_revoked_key))

    assert not await active(signed_out)
    assert not await active(by_revoked_key)
    service.clock.advance(LIFETIME)
    assert not await active(expiring)
    assert not await active("not a token")
    assert not await active(None)


@pytest.mark.parametrize("settings_overrides", [CLIENTS])
async def test_introspection_takes_a_form_or_json_only(service: Service) -> None:
    response = await service.client.post(
        "/api/auth/introspect",
        content=b"token=x",
        headers={**BILLING, "content-type": "text/plain"},
    )

    assert response.status_code == 415
    assert "message" in response.json()


async def test_signins_at_once_while_the_key_ring_reads_again_all_succeed(
    service: Service,
) -> None:
    """Each signin waits for the ring's read while it holds a pooled connection: the ring reads
    on a connection of its own, or 16 signins (SQLite's pool holds 15) would wait for it until
    their deadline."""
    names = [f"user{n}" for n in range(16)]
    for name in names:
        assert (await service.signup(name)).status_code == 200
    service.clock.advance(timedelta(seconds=2))  # the ring's read is over a second old

    answers = await asyncio.gather(*(service.signin(name) for name in names))

    assert [answer.status_code for answer in answers] == [200] * len(names)
