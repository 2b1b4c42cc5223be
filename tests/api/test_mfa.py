"""Two-factor authentication (TOTP and recovery codes) end to end, on each storage: enrolment,
the signin's second step, replay, recovery codes, step-up, disabling, the administrators' reset
and REQUIRE_ADMIN_MFA. Codes are computed by pyotp from the secret the API shows."""

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest

from domain.roles import Role
from domain.second_factor import STEP_SECONDS
from tests.mfa import (
    auth,
    enrol,
    enrolled,
    mfa_token,
    next_step,
    second_step,
    totp,
    wrong_code,
)
from tests.service import DEFAULT_PASSWORD, Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

NEW_PASSWORD = "a brand new passphrase"
SIGNIN_KEYS = ["id", "username", "email", "roles", "accessToken", "tokenType", "refreshToken"]


async def me(service: Service, token: str) -> dict[str, Any]:
    response = await service.get("/api/user/me", token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def signin_events(service: Service, admin_token: str, user_id: int) -> list[Any]:
    response = await service.client.get(
        f"/api/admin/audit?userId={user_id}&limit=200", headers=auth(admin_token)
    )
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


async def test_enrolment_answers_a_secret_its_uri_and_a_qr_code(service: Service) -> None:
    alice = await service.signed_in("alice")

    body = await enrol(service, alice["accessToken"])

    assert list(body) == ["secret", "otpauthUri", "qrSvg"]
    assert re.fullmatch("[A-Z2-7]{32}", body["secret"])  # 160 bits, base32
    assert body["otpauthUri"].startswith("otpauth://totp/Authgate:alice?secret=")
    assert f"secret={body['secret']}" in body["otpauthUri"]
    assert "issuer=Authgate" in body["otpauthUri"]
    assert body["qrSvg"].startswith("<svg")
    # Pending until confirmed: nothing changes for the account yet.
    assert (await me(service, alice["accessToken"]))["mfa"] == {
        "totp": False,
        "recoveryCodesLeft": 0,
    }
    assert "accessToken" in (await service.signin("alice")).json()


async def test_enrolment_with_a_wrong_password_is_refused(service: Service) -> None:
    alice = await service.signed_in("alice")

    response = await service.client.post(
        "/api/user/mfa/totp",
        json={"password": "not my password"},
        headers=auth(alice["accessToken"]),
    )

    assert response.status_code == 400
    assert response.json() == {"message": "Current password is incorrect."}


async def test_confirming_turns_two_factor_on_with_ten_recovery_codes(service: Service) -> None:
    alice = await enrolled(service, "alice")

    codes = alice.recovery_codes
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(code.replace("-", "")) >= 10 for code in codes)
    assert (await me(service, alice.access_token))["mfa"] == {
        "totp": True,
        "recoveryCodesLeft": 10,
    }
    again = await service.client.post(
        "/api/user/mfa/totp", json={"password": DEFAULT_PASSWORD}, headers=auth(alice.access_token)
    )
    assert again.status_code == 409
    assert again.json() == {"message": "Two-factor authentication is already enabled."}


async def test_confirming_with_a_wrong_code_is_refused(service: Service) -> None:
    alice = await service.signed_in("alice")
    nothing_pending = await service.client.post(
        "/api/user/mfa/totp/confirm", json={"code": "123456"}, headers=auth(alice["accessToken"])
    )
    secret = (await enrol(service, alice["accessToken"]))["secret"]
    wrong = wrong_code(secret, service.clock)

    response = await service.client.post(
        "/api/user/mfa/totp/confirm", json={"code": wrong}, headers=auth(alice["accessToken"])
    )

    for refused in (nothing_pending, response):
        assert refused.status_code == 400
        assert refused.json() == {"message": "Invalid code."}
    assert (await me(service, alice["accessToken"]))["mfa"]["totp"] is False


async def test_signin_with_two_factor_on_answers_an_mfa_token_and_no_tokens(
    service: Service,
) -> None:
    await enrolled(service, "alice")

    response = await service.signin("alice")
    wrong_password = await service.signin("alice", "wrong password!")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["mfaRequired", "mfaToken", "methods", "message"]
    assert body["mfaRequired"] is True
    assert body["methods"] == ["totp", "recovery_code"]
    assert body["message"] == "Two-factor code required."
    assert len(body["mfaToken"]) >= 43
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert wrong_password.status_code == 401
    assert wrong_password.json() == {
        "accessToken": None,
        "message": "Invalid username or password.",
    }


async def test_the_second_step_signs_in_with_a_code(service: Service) -> None:
    alice = await enrolled(service, "alice")
    token = await mfa_token(service, "alice")

    response = await second_step(service, token, code=totp(alice.secret, service.clock))

    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body)[:7] == SIGNIN_KEYS
    assert body["username"] == "alice"
    assert "authgate-access-token" in response.headers["set-cookie"]
    assert (await service.get("/api/test/user", body["accessToken"])).text == "User Content."


async def test_a_code_signs_in_once(service: Service) -> None:
    alice = await enrolled(service, "alice")
    first, second = await mfa_token(service, "alice"), await mfa_token(service, "alice")
    code = totp(alice.secret, service.clock)

    accepted = await second_step(service, first, code=code)
    replayed = await second_step(service, second, code=code)

    assert accepted.status_code == 200
    assert replayed.status_code == 401
    assert replayed.json() == {"message": "Invalid code."}
    # A wrong code leaves the mfaToken for another try, with the next step's code.
    next_step(service.clock)
    assert (
        await second_step(service, second, code=totp(alice.secret, service.clock))
    ).status_code == 200


async def test_the_steps_either_side_are_accepted_and_no_further(service: Service) -> None:
    alice = await enrolled(service, "alice")
    next_step(service.clock)  # so the step before is not the confirming code's
    token = await mfa_token(service, "alice")

    for too_far in (-2, 2):
        refused = await second_step(service, token, code=totp(alice.secret, service.clock, too_far))
        assert refused.status_code == 401
    earlier = await second_step(service, token, code=totp(alice.secret, service.clock, -1))
    later = await second_step(
        service, await mfa_token(service, "alice"), code=totp(alice.secret, service.clock, 1)
    )
    # Once a later step was used, an earlier one is not: the last used step only moves forward.
    current = await second_step(
        service, await mfa_token(service, "alice"), code=totp(alice.secret, service.clock)
    )

    assert (earlier.status_code, later.status_code, current.status_code) == (200, 200, 401)


async def test_an_mfa_token_is_single_use_and_lives_five_minutes(service: Service) -> None:
    alice = await enrolled(service, "alice")
    used = await mfa_token(service, "alice")
    assert (
        await second_step(service, used, code=totp(alice.secret, service.clock))
    ).status_code == 200
    expired = await mfa_token(service, "alice")
    service.clock.advance(timedelta(minutes=5, seconds=1))
    code = totp(alice.secret, service.clock)

    for token in (used, expired, "not-a-token", ""):
        response = await second_step(service, token, code=code)
        assert response.status_code == 401
        assert response.json() == {"message": "Sign in again."}


async def test_a_recovery_code_signs_in_once_ignoring_case_and_dashes(service: Service) -> None:
    alice = await enrolled(service, "alice")
    code = alice.recovery_codes[3]
    typed = code.replace("-", "").upper()

    accepted = await second_step(service, await mfa_token(service, "alice"), recoveryCode=typed)
    again = await second_step(service, await mfa_token(service, "alice"), recoveryCode=code)

    assert accepted.status_code == 200, accepted.text
    assert again.status_code == 401
    assert again.json() == {"message": "Invalid code."}
    assert (await me(service, alice.access_token))["mfa"]["recoveryCodesLeft"] == 9


async def test_signin_success_records_the_method_and_failures_are_audited(
    service: Service,
) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    alice = await enrolled(service, "alice")
    alice_id = alice.signin["id"]
    token = await mfa_token(service, "alice")
    assert (
        await second_step(service, token, code=wrong_code(alice.secret, service.clock))
    ).status_code == 401
    assert (
        await second_step(service, token, code=totp(alice.secret, service.clock))
    ).status_code == 200
    assert (
        await second_step(
            service, await mfa_token(service, "alice"), recoveryCode=alice.recovery_codes[0]
        )
    ).status_code == 200

    events = await signin_events(service, root["accessToken"], alice_id)

    methods = [e["detail"]["method"] for e in events if e["type"] == "signin.success"]
    assert methods == ["password+recovery_code", "password+totp", "password"]
    types = [e["type"] for e in events]
    assert types.count("mfa.failure") == 1
    assert types.count("mfa.enable") == 1
    assert types.count("mfa.recovery_code") == 1
    # The second factor's secrets are never in the trail.
    trail = str(events).lower()
    assert alice.secret.lower() not in trail
    assert all(code.replace("-", "") not in trail.replace("-", "") for code in alice.recovery_codes)


async def test_only_sealed_secrets_and_digests_are_stored(service: Service) -> None:
    alice = await enrolled(service, "alice")

    stored = await service.backdoor.second_factor_at_rest(alice.signin["id"])

    assert len(stored) == 11  # the sealed secret, ten digests
    assert stored[0].startswith("v1.")
    assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in stored[1:])
    text = " ".join(stored).lower()
    assert alice.secret.lower() not in text
    assert all(code.replace("-", "") not in text for code in alice.recovery_codes)


async def test_a_password_change_needs_a_code(service: Service) -> None:
    alice = await enrolled(service, "alice")
    body = {"currentPassword": DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD}

    async def change(**code: str) -> Any:
        return await service.client.post(
            "/api/user/password", json={**body, **code}, headers=auth(alice.access_token)
        )

    missing = await change()
    wrong = await change(code=wrong_code(alice.secret, service.clock))
    right = await change(code=totp(alice.secret, service.clock))

    assert missing.status_code == 400
    assert missing.json() == {"message": "Two-factor code required."}
    assert wrong.status_code == 400
    assert wrong.json() == {"message": "Invalid code."}
    assert right.status_code == 200
    assert right.json() == {"message": "Password changed."}


async def test_deleting_the_account_needs_a_code(service: Service) -> None:
    alice = await enrolled(service, "alice")

    async def delete(**code: str) -> Any:
        return await service.client.request(
            "DELETE",
            "/api/user/me",
            json={"password": DEFAULT_PASSWORD, **code},
            headers=auth(alice.access_token),
        )

    missing = await delete()
    deleted = await delete(code=alice.recovery_codes[0])

    assert missing.status_code == 400
    assert missing.json() == {"message": "Two-factor code required."}
    assert deleted.status_code == 200
    assert deleted.json() == {"message": "Account deleted."}


async def test_disabling_needs_the_password_and_a_code(service: Service) -> None:
    alice = await enrolled(service, "alice")

    async def disable(password: str, **code: str) -> Any:
        return await service.client.request(
            "DELETE",
            "/api/user/mfa/totp",
            json={"password": password, **code},
            headers=auth(alice.access_token),
        )

    wrong_password = await disable("not my password", code=totp(alice.secret, service.clock))
    no_code = await disable(DEFAULT_PASSWORD)
    disabled = await disable(DEFAULT_PASSWORD, code=totp(alice.secret, service.clock))

    assert wrong_password.status_code == 400
    assert wrong_password.json() == {"message": "Current password is incorrect."}
    assert no_code.status_code == 400
    assert no_code.json() == {"message": "Two-factor code required."}
    assert disabled.status_code == 200
    assert disabled.json() == {"message": "Two-factor authentication disabled."}
    assert (await me(service, alice.access_token))["mfa"] == {
        "totp": False,
        "recoveryCodesLeft": 0,
    }
    assert "accessToken" in (await service.signin("alice")).json()
    assert (await service.backdoor.second_factor_at_rest(alice.signin["id"])) == []


async def test_new_recovery_codes_replace_the_old_ones(service: Service) -> None:
    alice = await enrolled(service, "alice")

    response = await service.client.post(
        "/api/user/mfa/recovery-codes",
        json={"password": DEFAULT_PASSWORD, "code": totp(alice.secret, service.clock)},
        headers=auth(alice.access_token),
    )

    assert response.status_code == 200, response.text
    fresh = response.json()["recoveryCodes"]
    assert len(fresh) == 10
    assert not set(fresh) & set(alice.recovery_codes)
    old = await second_step(
        service, await mfa_token(service, "alice"), recoveryCode=alice.recovery_codes[1]
    )
    new = await second_step(service, await mfa_token(service, "alice"), recoveryCode=fresh[1])
    assert (old.status_code, new.status_code) == (401, 200)


async def test_an_administrator_resets_a_users_second_factor(service: Service) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    alice = await enrolled(service, "alice")
    url = f"/api/admin/users/{alice.signin['id']}"
    assert (await service.get(url, root["accessToken"])).json()["mfa"] is True

    response = await service.client.delete(f"{url}/mfa", headers=auth(root["accessToken"]))
    unknown = await service.client.delete(
        "/api/admin/users/999999/mfa", headers=auth(root["accessToken"])
    )

    assert response.status_code == 200, response.text
    assert response.json()["mfa"] is False
    assert response.json()["username"] == "alice"
    assert unknown.status_code == 404
    # Every session ended; signin takes the password alone again.
    assert (await service.get("/api/test/user", alice.access_token)).status_code == 401
    assert "accessToken" in (await service.signin("alice")).json()
    events = await signin_events(service, root["accessToken"], alice.signin["id"])
    assert events[0]["type"] == "signin.success"
    assert events[1]["type"] == "mfa.reset"
    assert events[1]["actorId"] == root["id"]


@pytest.mark.parametrize("settings_overrides", [{"require_admin_mfa": True}])
async def test_administrators_without_a_second_factor_are_refused_when_required(
    service: Service,
) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    refused = await service.get("/api/admin/users", root["accessToken"])
    refused_signup = await service.signup("mod", roles=["moderator"], token=root["accessToken"])
    secret = (await enrol(service, root["accessToken"]))["secret"]
    confirmed = await service.client.post(
        "/api/user/mfa/totp/confirm",
        json={"code": totp(secret, service.clock)},
        headers=auth(root["accessToken"]),
    )
    assert confirmed.status_code == 200

    for answer in (refused, refused_signup):
        assert answer.status_code == 403
        assert answer.json() == {
            "message": "Two-factor authentication required for administrators."
        }
    assert (await service.get("/api/admin/users", root["accessToken"])).status_code == 200
    assert (
        await service.signup("mod", roles=["moderator"], token=root["accessToken"])
    ).status_code == 200


@pytest.mark.parametrize(
    "settings_overrides",
    [{"rate_limits": True, "signin_account_address_limit": 3, "signin_backoff": 60}],
)
async def test_wrong_codes_count_toward_the_accounts_signin_limits(service: Service) -> None:
    alice = await enrolled(service, "alice")
    token = await mfa_token(service, "alice")
    wrong = wrong_code(alice.secret, service.clock)

    answers = [(await second_step(service, token, code=wrong)).status_code for _ in range(3)]
    locked = await second_step(service, token, code=totp(alice.secret, service.clock))

    assert answers == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.headers["retry-after"]
    assert (await service.signin("alice")).status_code == 429


async def test_fifty_concurrent_uses_of_one_code_sign_in_once(service: Service) -> None:
    alice = await enrolled(service, "alice")
    tokens = [await mfa_token(service, "alice") for _ in range(50)]
    code = totp(alice.secret, service.clock)

    answers = await asyncio.gather(*(second_step(service, t, code=code) for t in tokens))

    statuses = sorted(answer.status_code for answer in answers)
    print(
        f"\n50 concurrent submissions of one TOTP code: {statuses.count(200)} x 200, "
        f"{statuses.count(401)} x 401"
    )
    assert statuses == [200] + [401] * 49


async def test_fifty_concurrent_uses_of_one_recovery_code_sign_in_once(service: Service) -> None:
    alice = await enrolled(service, "alice")
    tokens = [await mfa_token(service, "alice") for _ in range(50)]
    code = alice.recovery_codes[0]

    answers = await asyncio.gather(*(second_step(service, t, recoveryCode=code) for t in tokens))

    statuses = sorted(answer.status_code for answer in answers)
    print(
        f"\n50 concurrent submissions of one recovery code: {statuses.count(200)} x 200, "
        f"{statuses.count(401)} x 401"
    )
    assert statuses == [200] + [401] * 49
    assert (await me(service, alice.access_token))["mfa"]["recoveryCodesLeft"] == 9


async def test_a_code_of_the_step_the_clock_just_left_still_works(service: Service) -> None:
    alice = await enrolled(service, "alice")
    token = await mfa_token(service, "alice")
    code = totp(alice.secret, service.clock)
    service.clock.advance(timedelta(seconds=STEP_SECONDS))

    assert (await second_step(service, token, code=code)).status_code == 200
