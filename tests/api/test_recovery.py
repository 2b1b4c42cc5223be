"""Password recovery and email verification end to end, with the mail going over SMTP to a real
server running in the test, on every storage."""

import asyncio
from collections.abc import Iterator
from dataclasses import astuple, replace
from datetime import timedelta
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryStorage
from adapters.sqlalchemy.tables import one_time_tokens, users
from domain.roles import Role
from domain.session import digest_of
from domain.values import Email
from tests.service import DEFAULT_PASSWORD, Service
from tests.smtp_server import SmtpTestServer, html_text, link_in, plain_text, token_in
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

RESET_LINK = "http://localhost:8081/reset-password?token="
VERIFY_LINK = "http://localhost:8081/verify-email?token="
FORGOT_ANSWER = {"message": "If that address is registered, a reset link has been sent."}
RESET_DONE = {"message": "Password has been reset."}
INVALID_TOKEN = {"message": "Reset token is invalid or expired."}
NEW_PASSWORD = "a brand new passphrase"
RESET_MAIL = "Reset your password"
VERIFY_MAIL = "Verify your email address"


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def extra_settings() -> dict[str, object]:
    return {}


@pytest.fixture
def settings_overrides(smtp: SmtpTestServer, extra_settings: dict[str, object]) -> dict[str, Any]:
    return {
        "smtp_url": smtp.url,
        "mail_retry_backoff": 0.05,
        "mail_retry_max_backoff": 0.2,
        "mail_shutdown_grace": 1.0,
        **extra_settings,
    }


async def forgot(service: Service, email: str) -> Response:
    return await service.client.post("/api/auth/password/forgot", json={"email": email})


async def reset(service: Service, token: str, password: str = NEW_PASSWORD) -> Response:
    return await service.client.post(
        "/api/auth/password/reset", json={"token": token, "password": password}
    )


async def verify(service: Service, token: str) -> Response:
    return await service.client.post("/api/auth/email/verify", json={"token": token})


async def reset_token(
    service: Service, smtp: SmtpTestServer, email: str, nth: int = 1, spelled: str | None = None
) -> str:
    """Asks for a reset (with the address `spelled` so, if given) and reads the nth mail."""
    response = await forgot(service, spelled or email)
    assert (response.status_code, response.json()) == (202, FORGOT_ANSWER)
    return token_in(link_in(await smtp.mail_to(email, RESET_MAIL, count=nth), RESET_LINK))


async def verification_token(smtp: SmtpTestServer, email: str, nth: int = 1) -> str:
    return token_in(link_in(await smtp.mail_to(email, VERIFY_MAIL, count=nth), VERIFY_LINK))


async def test_a_forgotten_password_is_reset_through_the_mailed_link(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com", spelled="ALICE@Example.com")

    response = await reset(service, token)

    assert (response.status_code, response.json()) == (200, RESET_DONE)
    assert (await service.signin("alice")).status_code == 401
    assert (await service.signin("alice", NEW_PASSWORD)).status_code == 200


async def test_the_reset_mail_has_a_plain_text_link_and_an_html_part(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    await forgot(service, "alice@example.com")

    mail = await smtp.mail_to("alice@example.com", RESET_MAIL)

    link = link_in(mail, RESET_LINK)
    assert len(token_in(link)) >= 43  # 256 bits in URL-safe base64
    assert link in html_text(mail)
    assert mail["Subject"] == "Reset your password"
    assert "30 minutes" in plain_text(mail)


async def test_a_reset_ends_every_session_of_the_user(
    service: Service, smtp: SmtpTestServer
) -> None:
    alice = await service.signed_in("alice")
    other_device = (await service.signin("alice")).json()
    service.client.cookies.clear()
    token = await reset_token(service, smtp, "alice@example.com")

    assert (await reset(service, token)).status_code == 200

    for session in (alice, other_device):
        assert (await service.get("/api/test/user", session["accessToken"])).status_code == 401
        refreshed = await service.client.post(
            "/api/auth/refreshtoken", json={"refreshToken": session["refreshToken"]}
        )
        assert refreshed.status_code == 403


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")

    response = await forgot(service, "nobody@example.com")

    assert (response.status_code, response.json()) == (202, FORGOT_ANSWER)
    await asyncio.sleep(0.5)
    assert smtp.inbox.to("nobody@example.com") == []


async def test_a_malformed_address_is_refused_naming_the_field(service: Service) -> None:
    response = await forgot(service, "not an address")

    assert response.status_code == 400
    assert "email" in response.json()["message"]


async def test_a_reset_token_works_once(service: Service, smtp: SmtpTestServer) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com")
    assert (await reset(service, token)).status_code == 200

    again = await reset(service, token, "yet another passphrase")

    assert (again.status_code, again.json()) == (400, INVALID_TOKEN)
    assert (await service.signin("alice", NEW_PASSWORD)).status_code == 200


async def test_concurrent_resets_with_one_token_let_exactly_one_through(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com")

    answers = await asyncio.gather(*(reset(service, token, f"passphrase {i}") for i in range(4)))

    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400]


async def test_a_reset_token_expires_after_30_minutes(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com")
    service.clock.advance(timedelta(seconds=30 * 60 + 1))

    response = await reset(service, token)

    assert (response.status_code, response.json()) == (400, INVALID_TOKEN)
    assert (await service.signin("alice")).status_code == 200


async def test_a_token_within_its_lifetime_still_works(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com")
    service.clock.advance(timedelta(seconds=29 * 60))

    assert (await reset(service, token)).status_code == 200


async def test_a_newer_request_kills_the_older_token(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    older = await reset_token(service, smtp, "alice@example.com", nth=1)
    newer = await reset_token(service, smtp, "alice@example.com", nth=2)

    assert (await reset(service, older)).json() == INVALID_TOKEN
    assert (await reset(service, newer)).status_code == 200


async def test_a_password_change_kills_the_token(service: Service, smtp: SmtpTestServer) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com")
    user_id = await service.backdoor.user_id("alice")
    assert user_id is not None
    await service.backdoor.set_password_cost(user_id, "changed in the meantime", 4)

    response = await reset(service, token)

    assert (response.status_code, response.json()) == (400, INVALID_TOKEN)
    assert (await service.signin("alice", "changed in the meantime")).status_code == 200


async def test_unknown_or_empty_tokens_are_refused(service: Service) -> None:
    for token in ("", "made-up", "x" * 43):
        response = await reset(service, token)
        assert (response.status_code, response.json()) == (400, INVALID_TOKEN)


async def test_the_new_password_follows_the_signup_rules(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com")

    for password in ("short", "ü" * 37):
        response = await reset(service, token, password)
        assert response.status_code == 400
        assert "password" in response.json()["message"]
    assert (await reset(service, token)).status_code == 200


async def test_only_the_tokens_digest_is_stored(service: Service, smtp: SmtpTestServer) -> None:
    await service.signed_in("alice")
    token = await reset_token(service, smtp, "alice@example.com")

    stored = await stored_token_values(service)

    assert digest_of(token) in stored
    assert all(token not in value for value in stored)


async def stored_token_values(service: Service) -> list[str]:
    """Every value of every stored one-time token, as text."""
    if service.settings.database.uses_memory_storage:
        storage = await service.container.get(InMemoryStorage)
        return [str(v) for t in storage.one_time_tokens.values() for v in astuple(t)]
    engine = await service.container.get(AsyncEngine)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(one_time_tokens))).all()
    return [str(value) for row in rows for value in row]


async def test_signup_mails_a_verification_link_that_verifies_once(
    service: Service, smtp: SmtpTestServer
) -> None:
    assert (await service.signup("alice")).status_code == 200
    mail = await smtp.mail_to("alice@example.com", VERIFY_MAIL)
    token = token_in(link_in(mail, VERIFY_LINK))

    first, second = await verify(service, token), await verify(service, token)

    assert (first.status_code, first.json()) == (200, {"message": "Email verified."})
    assert (second.status_code, second.json()) == (400, INVALID_TOKEN)


ENCODED_WORD_ADDRESS = (
    "=?utf-8?q?=22victim=40gmail.com=22_=3Cvictim=40gmail.com=3E=2C_x?=@attacker.example"
)


async def test_an_address_a_mail_header_would_read_as_other_recipients_is_refused_at_signup(
    service: Service, smtp: SmtpTestServer
) -> None:
    refused = await service.signup("mallory", email=ENCODED_WORD_ADDRESS)
    assert (await service.signup("alice")).status_code == 200
    await smtp.mail_to("alice@example.com", VERIFY_MAIL)

    assert refused.status_code == 400
    assert refused.json() == {
        "message": "Failed! The email must be a valid email address of at most 254 characters."
    }
    assert (await service.signin("mallory")).status_code == 401
    assert smtp.inbox.envelope_recipients == [["alice@example.com"]]
    assert [str(mail["To"]) for mail in smtp.inbox.messages] == ["alice@example.com"]


async def store_address(service: Service, username: str, address: str) -> None:
    """Writes an address past today's rule, as a row stored before it would hold."""
    if service.settings.database.uses_memory_storage:
        storage = await service.container.get(InMemoryStorage)
        user = next(u for u in storage.users.values() if u.username.value == username)
        storage.users[user.id] = replace(user, email=Email.stored(address))
        return
    engine = await service.container.get(AsyncEngine)
    async with engine.begin() as connection:
        await connection.execute(
            update(users).where(users.c.username == username).values(email=address)
        )


async def test_an_address_stored_before_the_rule_stays_readable_and_gets_no_mail(
    service: Service, smtp: SmtpTestServer
) -> None:
    mallory = await service.signed_in("mallory")
    await smtp.mail_to("mallory@example.com", VERIFY_MAIL)
    await store_address(service, "mallory", ENCODED_WORD_ADDRESS)
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})

    me = await service.get("/api/user/me", mallory["accessToken"])
    listed = await service.get("/api/admin/users?query=mallory", root["accessToken"])
    resent = await service.client.post(
        "/api/auth/email/resend", headers={"x-access-token": mallory["accessToken"]}
    )
    await smtp.mail_to("root@example.com", VERIFY_MAIL)
    await asyncio.sleep(0.5)

    assert (me.status_code, me.json()["email"]) == (200, ENCODED_WORD_ADDRESS)
    assert [u["email"] for u in listed.json()["items"]] == [ENCODED_WORD_ADDRESS]
    assert resent.status_code == 202
    assert smtp.inbox.envelope_recipients == [["mallory@example.com"], ["root@example.com"]]


async def test_a_verification_link_expires_after_24_hours(
    service: Service, smtp: SmtpTestServer
) -> None:
    assert (await service.signup("alice")).status_code == 200
    token = await verification_token(smtp, "alice@example.com")
    service.clock.advance(timedelta(seconds=24 * 3600 + 1))

    assert (await verify(service, token)).json() == INVALID_TOKEN


async def test_a_reset_token_does_not_verify_and_a_verification_token_does_not_reset(
    service: Service, smtp: SmtpTestServer
) -> None:
    await service.signed_in("alice")
    verification = await verification_token(smtp, "alice@example.com")
    reset_link_token = await reset_token(service, smtp, "alice@example.com")

    assert (await reset(service, verification)).json() == INVALID_TOKEN
    assert (await verify(service, reset_link_token)).json() == INVALID_TOKEN


async def test_resend_mails_a_new_link_and_kills_the_old_one(
    service: Service, smtp: SmtpTestServer
) -> None:
    alice = await service.signed_in("alice")
    first = await verification_token(smtp, "alice@example.com")

    response = await service.client.post(
        "/api/auth/email/resend", headers={"x-access-token": alice["accessToken"]}
    )

    assert response.status_code == 202
    second = await verification_token(smtp, "alice@example.com", nth=2)
    assert (await verify(service, first)).json() == INVALID_TOKEN
    assert (await verify(service, second)).status_code == 200


async def test_resend_needs_a_signed_in_caller_and_sends_nothing_once_verified(
    service: Service, smtp: SmtpTestServer
) -> None:
    anonymous = await service.client.post("/api/auth/email/resend")
    assert (anonymous.status_code, anonymous.json()) == (403, {"message": "No token provided!"})
    alice = await service.signed_in("alice")
    token = await verification_token(smtp, "alice@example.com")
    assert (await verify(service, token)).status_code == 200

    response = await service.client.post(
        "/api/auth/email/resend", headers={"Authorization": f"Bearer {alice['accessToken']}"}
    )

    assert response.status_code == 202
    await asyncio.sleep(0.3)
    assert len(smtp.inbox.to("alice@example.com", VERIFY_MAIL)) == 1


async def resend(service: Service, token: str) -> Response:
    return await service.client.post("/api/auth/email/resend", headers={"x-access-token": token})


@pytest.mark.parametrize("extra_settings", [{"rate_limits": True}])
async def test_a_second_resend_within_a_minute_is_refused_and_mails_nothing(
    service: Service, smtp: SmtpTestServer
) -> None:
    alice = await service.signed_in("alice")
    await verification_token(smtp, "alice@example.com")
    assert (await resend(service, alice["accessToken"])).status_code == 202
    await verification_token(smtp, "alice@example.com", nth=2)

    burst = await asyncio.gather(*(resend(service, alice["accessToken"]) for _ in range(10)))

    assert [answer.status_code for answer in burst] == [429] * 10
    assert {answer.headers["retry-after"] for answer in burst} == {"60"}
    await asyncio.sleep(0.3)
    assert len(smtp.inbox.to("alice@example.com", VERIFY_MAIL)) == 2


@pytest.mark.parametrize("extra_settings", [{"rate_limits": True}])
async def test_resends_are_limited_per_hour_too(service: Service, smtp: SmtpTestServer) -> None:
    alice = await service.signed_in("alice")
    bob = await service.signed_in("bob")
    statuses = []
    for _ in range(6):
        statuses.append((await resend(service, alice["accessToken"])).status_code)
        service.clock.advance(timedelta(seconds=61))

    assert statuses == [202] * 5 + [429]
    # Per user: another is not held by alice's resends.
    assert (await resend(service, bob["accessToken"])).status_code == 202
    await smtp.mail_to("alice@example.com", VERIFY_MAIL, count=6)
    await asyncio.sleep(0.3)
    assert len(smtp.inbox.to("alice@example.com", VERIFY_MAIL)) == 6


async def test_without_limits_resends_are_not_counted(
    service: Service, smtp: SmtpTestServer
) -> None:
    alice = await service.signed_in("alice")

    statuses = [(await resend(service, alice["accessToken"])).status_code for _ in range(3)]

    assert statuses == [202] * 3
    await smtp.mail_to("alice@example.com", VERIFY_MAIL, count=4)


async def test_signin_does_not_require_a_verified_email_by_default(service: Service) -> None:
    assert (await service.signup("alice")).status_code == 200

    assert (await service.signin("alice")).status_code == 200


@pytest.mark.parametrize("extra_settings", [{"require_verified_email": True}])
async def test_signin_can_require_a_verified_email(service: Service, smtp: SmtpTestServer) -> None:
    assert (await service.signup("alice")).status_code == 200

    unverified = await service.signin("alice")
    wrong_password = await service.signin("alice", "not the password")

    assert (unverified.status_code, unverified.json()) == (
        403,
        {"message": "Email is not verified."},
    )
    assert wrong_password.status_code == 401
    token = await verification_token(smtp, "alice@example.com")
    assert (await verify(service, token)).status_code == 200
    assert (await service.signin("alice", DEFAULT_PASSWORD)).status_code == 200


@pytest.mark.parametrize("extra_settings", [{"require_verified_email": True}])
async def test_a_completed_reset_verifies_the_address_it_was_mailed_to(
    service: Service, smtp: SmtpTestServer
) -> None:
    assert (await service.signup("alice")).status_code == 200
    service.clock.advance(timedelta(seconds=24 * 3600 + 1))  # the verification link has expired
    token = await reset_token(service, smtp, "alice@example.com")

    assert (await reset(service, token)).status_code == 200

    assert (await service.signin("alice", NEW_PASSWORD)).status_code == 200


async def test_the_endpoints_are_documented_with_their_answers(service: Service) -> None:
    paths = (await service.client.get("/docs/openapi.json")).json()["paths"]

    documented = {
        path: sorted(paths[path]["post"]["responses"])
        for path in (
            "/api/auth/password/forgot",
            "/api/auth/password/reset",
            "/api/auth/email/verify",
            "/api/auth/email/resend",
        )
    }

    assert documented == {
        # 403: the cross-site refusal any change may meet (entrypoints/http/cors.py).
        "/api/auth/password/forgot": ["202", "400", "403", "413", "415", "429", "503"],
        "/api/auth/password/reset": ["200", "400", "403", "413", "415", "503"],
        "/api/auth/email/verify": ["200", "400", "403", "413", "415", "503"],
        "/api/auth/email/resend": ["202", "401", "403", "429", "503"],
    }
    assert all(not paths[path]["post"].get("parameters") for path in documented)
