"""Passkeys end to end, on every storage, driven by the software authenticator of testkit: the
registration ceremony, username-less and username-first signin, and every way a signin must
fail with the one uniform refusal."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from dishka import Scope
from httpx import Response

from application.ports.access_tokens import AccessTokenIssuer
from application.ports.caller import Caller
from application.ports.passkeys import PasskeyChallengeStore
from application.ports.sessions import SessionStore
from application.ports.storage import UnitOfWork
from application.shared.identify_caller import NOBODY
from domain.roles import Role
from domain.session import Session
from testkit.webauthn_authenticator import SoftwareAuthenticator
from tests.mfa import enrolled
from tests.service import Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

ORIGIN = "http://localhost:8081"
FAILED = {"message": "Passkey sign-in failed."}
REGISTRATION_FAILED = {"message": "Passkey registration failed."}
SIGNIN_KEYS = [
    "id",
    "username",
    "email",
    "roles",
    "accessToken",
    "tokenType",
    "refreshToken",
    "expiresIn",
]


def auth(token: str) -> dict[str, str]:
    return {"x-access-token": token}


async def registration_options(service: Service, token: str) -> dict[str, Any]:
    response = await service.client.post("/api/user/passkeys/options", headers=auth(token))
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


async def register(
    service: Service,
    token: str,
    authenticator: SoftwareAuthenticator,
    name: str | None = "laptop",
    **lie: str,
) -> Response:
    credential = authenticator.create(await registration_options(service, token), **lie)
    body: dict[str, Any] = {"credential": credential}
    if name is not None:
        body["name"] = name
    return await service.client.post("/api/user/passkeys", json=body, headers=auth(token))


async def signin_options(service: Service, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await service.client.post("/api/auth/passkey/options", json=body or {})
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


async def passkey_signin(service: Service, credential: dict[str, Any]) -> Response:
    return await service.client.post("/api/auth/passkey", json={"credential": credential})


async def signed_in_with_passkey(
    service: Service, username: str = "alice", **authenticator_options: Any
) -> tuple[dict[str, Any], SoftwareAuthenticator]:
    user = await service.signed_in(username)
    authenticator = SoftwareAuthenticator(ORIGIN, **authenticator_options)
    response = await register(service, user["accessToken"], authenticator)
    assert response.status_code == 200, response.text
    return user, authenticator


async def audit_of(service: Service, user_id: int, kind: str) -> list[dict[str, Any]]:
    admin = await service.signed_in(f"root{user_id}", {Role.USER, Role.ADMIN})
    response = await service.client.get(
        f"/api/admin/audit?userId={user_id}&type={kind}", headers=auth(admin["accessToken"])
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_signed_in_user_registers_a_passkey(service: Service) -> None:
    user = await service.signed_in("alice")
    authenticator = SoftwareAuthenticator(ORIGIN)

    options = await registration_options(service, user["accessToken"])
    credential = authenticator.create(options)
    response = await service.client.post(
        "/api/user/passkeys",
        json={"credential": credential, "name": "work laptop"},
        headers=auth(user["accessToken"]),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["id", "name", "createdAt", "lastUsedAt"]
    assert body["name"] == "work laptop"
    assert body["lastUsedAt"] is None
    assert options["rp"] == {"name": "Authgate", "id": "localhost"}
    assert options["user"]["name"] == "alice"
    assert options["authenticatorSelection"] == {
        "residentKey": "required",
        "requireResidentKey": True,
        "userVerification": "preferred",
    }
    assert options["excludeCredentials"] == []
    listed = await service.client.get("/api/user/passkeys", headers=auth(user["accessToken"]))
    assert listed.json() == [body]
    me = await service.get("/api/user/me", user["accessToken"])
    assert me.json()["passkeys"] == 1
    again = await registration_options(service, user["accessToken"])
    assert [each["id"] for each in again["excludeCredentials"]] == [credential["id"]]
    [added] = await audit_of(service, user["id"], "passkey.add")
    assert added["detail"] == {"passkey": body["id"], "name": "work laptop"}


async def test_a_passkey_without_a_name_is_called_passkey(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await register(service, user["accessToken"], SoftwareAuthenticator(), name=None)

    assert response.status_code == 200
    assert response.json()["name"] == "Passkey"


async def test_username_less_signin_gives_the_normal_signin_answer(service: Service) -> None:
    user, authenticator = await signed_in_with_passkey(service)

    options = await signin_options(service)
    response = await passkey_signin(service, authenticator.get(options))

    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == SIGNIN_KEYS
    assert (body["id"], body["username"], body["roles"]) == (user["id"], "alice", ["ROLE_USER"])
    assert response.headers["cache-control"] == "no-store"
    assert "authgate-access-token=" in response.headers["set-cookie"]
    assert (await service.get("/api/test/user", body["accessToken"])).text == "User Content."
    refreshed = await service.client.post(
        "/api/auth/refreshtoken", json={"refreshToken": body["refreshToken"]}
    )
    assert refreshed.status_code == 200
    [listed] = (
        await service.client.get("/api/user/passkeys", headers=auth(body["accessToken"]))
    ).json()
    assert listed["lastUsedAt"] is not None
    [success] = [
        event
        for event in await audit_of(service, user["id"], "signin.success")
        if event["detail"].get("method") == "passkey"
    ]
    assert success["detail"]["userVerified"] is True
    assert options["allowCredentials"] == []
    assert options["rpId"] == "localhost"


async def test_username_first_signin_lets_only_that_accounts_passkey_in(
    service: Service,
) -> None:
    _, alices = await signed_in_with_passkey(service, "alice")
    await service.signed_in("bob")

    own = await passkey_signin(
        service, alices.get(await signin_options(service, {"username": "ALICE"}))
    )
    bobs_challenge = await passkey_signin(
        service, alices.get(await signin_options(service, {"username": "bob"}))
    )
    nobodys_challenge = await passkey_signin(
        service, alices.get(await signin_options(service, {"username": "nobody"}))
    )

    assert own.status_code == 200, own.text
    assert (bobs_challenge.status_code, bobs_challenge.json()) == (401, FAILED)
    assert (nobodys_challenge.status_code, nobodys_challenge.json()) == (401, FAILED)


async def test_the_options_do_not_tell_whether_a_username_exists(service: Service) -> None:
    await signed_in_with_passkey(service, "alice")

    known = await signin_options(service, {"username": "alice"})
    unknown = await signin_options(service, {"username": "nobody"})
    invalid = await signin_options(service, {"username": "x"})

    for options in (known, unknown, invalid):
        assert {k: v for k, v in options.items() if k != "challenge"} == {
            "timeout": 300000,
            "rpId": "localhost",
            "allowCredentials": [],
            "userVerification": "preferred",
        }
    assert len({known["challenge"], unknown["challenge"], invalid["challenge"]}) == 3


async def test_an_empty_or_absent_body_asks_for_username_less_options(service: Service) -> None:
    absent = await service.client.post("/api/auth/passkey/options")
    empty = await service.client.post("/api/auth/passkey/options", json={})

    assert absent.status_code == empty.status_code == 200
    assert absent.json()["challenge"] != empty.json()["challenge"]


@pytest.mark.parametrize(
    "lie",
    [
        pytest.param({"origin": "http://localhost:9999"}, id="wrong origin"),
        pytest.param({"rp_id": "evil.example"}, id="wrong RP ID"),
        pytest.param({"bad_signature": True}, id="bad signature"),
    ],
)
async def test_an_assertion_from_elsewhere_or_badly_signed_is_refused(
    service: Service, lie: dict[str, Any]
) -> None:
    user, authenticator = await signed_in_with_passkey(service)
    if "rp_id" in lie:
        authenticator.credentials[0].rp_id = lie["rp_id"]

    response = await passkey_signin(
        service, authenticator.get(await signin_options(service), **lie)
    )

    assert (response.status_code, response.json()) == (401, FAILED)
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    [failure] = await audit_of(service, user["id"], "signin.failure")
    assert failure["detail"]["method"] == "passkey"


async def test_a_challenge_is_used_once(service: Service) -> None:
    _, authenticator = await signed_in_with_passkey(service)
    options = await signin_options(service)

    first = await passkey_signin(service, authenticator.get(options))
    replayed = await passkey_signin(service, authenticator.get(options))

    assert first.status_code == 200
    assert (replayed.status_code, replayed.json()) == (401, FAILED)


async def test_a_challenge_expires_after_five_minutes(service: Service) -> None:
    _, authenticator = await signed_in_with_passkey(service)
    late = await signin_options(service)
    in_time = await signin_options(service)

    service.clock.advance(timedelta(minutes=4, seconds=59))
    assert (await passkey_signin(service, authenticator.get(in_time))).status_code == 200
    service.clock.advance(timedelta(seconds=1))
    response = await passkey_signin(service, authenticator.get(late))

    assert (response.status_code, response.json()) == (401, FAILED)


async def test_an_unknown_credential_is_refused(service: Service) -> None:
    await signed_in_with_passkey(service)
    stranger = SoftwareAuthenticator(ORIGIN)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "MQ"}, "challenge": "bm90LWFza2Vk"})

    response = await passkey_signin(service, stranger.get(await signin_options(service)))

    assert (response.status_code, response.json()) == (401, FAILED)


async def test_a_counter_gone_backwards_is_refused_and_audited_as_cloned(
    service: Service,
) -> None:
    user, authenticator = await signed_in_with_passkey(service)
    assert (
        await passkey_signin(service, authenticator.get(await signin_options(service)))
    ).status_code == 200
    assert (
        await passkey_signin(service, authenticator.get(await signin_options(service)))
    ).status_code == 200

    clone = await passkey_signin(
        service, authenticator.get(await signin_options(service), sign_count=1)
    )

    assert (clone.status_code, clone.json()) == (401, FAILED)
    [cloned] = await audit_of(service, user["id"], "passkey.cloned")
    assert cloned["detail"]["storedCount"] == 2
    assert cloned["detail"]["presentedCount"] == 1
    # The original, whose counter moves on, still signs in.
    assert (
        await passkey_signin(service, authenticator.get(await signin_options(service)))
    ).status_code == 200


async def test_an_authenticator_that_keeps_no_counter_signs_in_every_time(
    service: Service,
) -> None:
    _, authenticator = await signed_in_with_passkey(service, counter=False)

    for _ in range(3):
        response = await passkey_signin(service, authenticator.get(await signin_options(service)))
        assert response.status_code == 200, response.text


async def test_two_concurrent_uses_of_one_challenge_let_exactly_one_through(
    service: Service,
) -> None:
    _, authenticator = await signed_in_with_passkey(service)
    options = await signin_options(service)
    # Two assertions on one challenge, each valid on its own (counters 1 and 2).
    first, second = authenticator.get(options), authenticator.get(options)

    responses = await asyncio.gather(
        passkey_signin(service, second), passkey_signin(service, first)
    )

    assert sorted(r.status_code for r in responses) == [200, 401]


async def test_a_disabled_accounts_passkey_is_refused(service: Service) -> None:
    user, authenticator = await signed_in_with_passkey(service)
    admin = await service.signed_in("root", {Role.USER, Role.ADMIN})
    disabled = await service.client.post(
        f"/api/admin/users/{user['id']}/disable", headers=auth(admin["accessToken"])
    )
    assert disabled.status_code == 200

    response = await passkey_signin(service, authenticator.get(await signin_options(service)))

    assert (response.status_code, response.json()) == (403, {"message": "Account is disabled."})


@pytest.mark.parametrize(
    "lie",
    [
        pytest.param({"origin": "http://localhost:9999"}, id="wrong origin"),
        pytest.param({"rp_id": "evil.example"}, id="wrong RP ID"),
    ],
)
async def test_a_registration_from_elsewhere_is_refused(
    service: Service, lie: dict[str, str]
) -> None:
    user = await service.signed_in("alice")

    response = await register(service, user["accessToken"], SoftwareAuthenticator(ORIGIN), **lie)

    assert (response.status_code, response.json()) == (400, REGISTRATION_FAILED)
    assert (await service.get("/api/user/me", user["accessToken"])).json()["passkeys"] == 0


async def test_a_registration_needs_a_registration_challenge_of_the_caller(
    service: Service,
) -> None:
    alice = await service.signed_in("alice")
    bob = await service.signed_in("bob")
    authenticator = SoftwareAuthenticator(ORIGIN)
    alices_options = await registration_options(service, alice["accessToken"])
    signin_challenge = {**alices_options, "challenge": (await signin_options(service))["challenge"]}

    with_signin_challenge = await service.client.post(
        "/api/user/passkeys",
        json={"credential": authenticator.create(signin_challenge)},
        headers=auth(alice["accessToken"]),
    )
    with_alices_challenge = await service.client.post(
        "/api/user/passkeys",
        json={"credential": authenticator.create(alices_options)},
        headers=auth(bob["accessToken"]),
    )
    replayed = await service.client.post(
        "/api/user/passkeys",
        json={"credential": authenticator.create(alices_options)},
        headers=auth(alice["accessToken"]),
    )

    for response in (with_signin_challenge, with_alices_challenge, replayed):
        assert (response.status_code, response.json()) == (400, REGISTRATION_FAILED)


async def test_registration_needs_a_token(service: Service) -> None:
    options = await service.client.post("/api/user/passkeys/options")
    listing = await service.client.get("/api/user/passkeys")

    assert (options.status_code, options.json()) == (403, {"message": "No token provided!"})
    assert listing.status_code == 403


async def test_a_passkey_is_removed_by_its_owner_only(service: Service) -> None:
    alice, authenticator = await signed_in_with_passkey(service)
    bob = await service.signed_in("bob")
    [passkey] = (
        await service.client.get("/api/user/passkeys", headers=auth(alice["accessToken"]))
    ).json()

    by_bob = await service.client.delete(
        f"/api/user/passkeys/{passkey['id']}", headers=auth(bob["accessToken"])
    )
    unknown = await service.client.delete(
        f"/api/user/passkeys/{passkey['id'] + 1000}", headers=auth(alice["accessToken"])
    )
    by_alice = await service.client.delete(
        f"/api/user/passkeys/{passkey['id']}", headers=auth(alice["accessToken"])
    )

    assert (by_bob.status_code, by_bob.json()) == (404, {"message": "Passkey not found."})
    assert unknown.status_code == 404
    assert (by_alice.status_code, by_alice.json()) == (200, {"message": "Passkey removed."})
    signin = await passkey_signin(service, authenticator.get(await signin_options(service)))
    assert (signin.status_code, signin.json()) == (401, FAILED)
    [removed] = await audit_of(service, alice["id"], "passkey.remove")
    assert removed["detail"] == {"passkey": passkey["id"]}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"credential": {}}, 401),
        ({"credential": {"rawId": "AAAA", "response": {"clientDataJSON": "e30"}}}, 401),
        ({"credential": "not an object"}, 400),
        ({}, 400),
    ],
)
async def test_a_malformed_credential_is_refused_never_a_500(
    service: Service, body: dict[str, Any], status: int
) -> None:
    response = await service.client.post("/api/auth/passkey", json=body)

    assert response.status_code == status, response.text
    assert "message" in response.json()


@pytest.mark.parametrize(
    "settings_overrides",
    [{"rate_limits": True, "signin_address_limit": 2, "signin_address_window": 3600}],
)
async def test_failed_passkey_signins_count_against_the_address(service: Service) -> None:
    _, authenticator = await signed_in_with_passkey(service)
    for _ in range(2):
        options = await signin_options(service)
        failed = await passkey_signin(service, authenticator.get(options, bad_signature=True))
        assert failed.status_code == 401

    throttled = await passkey_signin(service, authenticator.get(await signin_options(service)))

    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {
            "rate_limits": True,
            "passkey_options_address_limit": 3,
            "passkey_options_address_window": 60,
        }
    ],
)
async def test_an_address_asking_for_challenges_faster_than_anyone_signs_in_is_refused(
    service: Service,
) -> None:
    for _ in range(3):
        await signin_options(service)

    refused = await service.client.post("/api/auth/passkey/options", json={})

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert await challenges_stored(service) == 3  # the refused one wrote none


async def challenges_stored(service: Service) -> int:
    """How many challenges are stored: all of them purged as if they had expired."""
    async with service.container(scope=Scope.REQUEST, context={Caller: NOBODY}) as request:
        challenges: PasskeyChallengeStore = await request.get(PasskeyChallengeStore)
        purged = await challenges.purge(service.clock.now() + timedelta(days=1))
        await (await request.get(UnitOfWork)).commit()
        return purged


async def token_without_signin(service: Service, user_id: int) -> str:
    """An access token of a new session of the user, started the way a signin starts one: for
    a user whose signin would be refused."""
    async with service.container(scope=Scope.REQUEST, context={Caller: NOBODY}) as request:
        sessions: SessionStore = await request.get(SessionStore)
        issuer: AccessTokenIssuer = await request.get(AccessTokenIssuer)
        now = service.clock.now()
        session = Session.begin(user_id, now, timedelta(hours=1))
        _, record = session.issue_refresh_token(now, timedelta(hours=1))
        await sessions.start(session, record)
        await (await request.get(UnitOfWork)).commit()
        return (await issuer.issue(user_id, session.id, now)).value


@pytest.mark.parametrize("settings_overrides", [{"require_verified_email": True}])
async def test_an_unverified_address_is_refused_where_signin_requires_a_verified_one(
    service: Service,
) -> None:
    assert (await service.signup("alice")).status_code == 200
    alice = await service.backdoor.user_id("alice")
    assert alice is not None
    authenticator = SoftwareAuthenticator(ORIGIN)
    token = await token_without_signin(service, alice)
    assert (await register(service, token, authenticator)).status_code == 200

    response = await passkey_signin(service, authenticator.get(await signin_options(service)))

    assert (response.status_code, response.json()) == (403, {"message": "Email is not verified."})


async def test_a_user_with_two_factor_on_gets_tokens_at_once_with_a_passkey(
    service: Service,
) -> None:
    alice = await enrolled(service, "alice")
    authenticator = SoftwareAuthenticator(ORIGIN)
    assert (await register(service, alice.access_token, authenticator)).status_code == 200
    assert "mfaToken" in (await service.signin("alice")).json()  # a password needs the code

    response = await passkey_signin(service, authenticator.get(await signin_options(service)))

    assert response.status_code == 200, response.text
    assert list(response.json()) == SIGNIN_KEYS
    assert "authgate-access-token=" in response.headers["set-cookie"]


async def test_a_passkey_that_did_not_verify_its_user_is_one_factor_too_few_for_two_factor(
    service: Service,
) -> None:
    alice = await enrolled(service, "alice")
    authenticator = SoftwareAuthenticator(ORIGIN, user_verified=False)
    assert (await register(service, alice.access_token, authenticator)).status_code == 200

    response = await passkey_signin(service, authenticator.get(await signin_options(service)))

    assert (response.status_code, response.json()) == (401, FAILED)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("settings_overrides", [{"require_admin_mfa": True}])
async def test_a_passkey_is_an_administrators_second_factor(service: Service) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    refused = await service.get("/api/admin/users", root["accessToken"])
    assert (
        await register(service, root["accessToken"], SoftwareAuthenticator())
    ).status_code == 200

    allowed = await service.get("/api/admin/users", root["accessToken"])

    assert refused.status_code == 403
    assert allowed.status_code == 200
