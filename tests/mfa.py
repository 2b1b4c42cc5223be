"""A user with a second factor, as a person with an authenticator app would get one: enrolled
and confirmed through the API, with codes computed by pyotp from the secret the API showed."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp

from domain.second_factor import STEP_SECONDS, step_start, time_step
from tests.fakes import FakeClock
from tests.service import DEFAULT_PASSWORD, Service


def totp(secret: str, clock: FakeClock, steps: int = 0) -> str:
    """The code an authenticator shows at the clock's time, `steps` steps later."""
    return pyotp.TOTP(secret).at(step_start(time_step(clock.now()) + steps))


def next_step(clock: FakeClock) -> None:
    """On to the next 30-second step: its code is a fresh one."""
    clock.advance(timedelta(seconds=STEP_SECONDS))


def auth(token: str) -> dict[str, str]:
    return {"x-access-token": token}


@dataclass
class Enrolled:
    signin: dict[str, Any]
    """The answer of the signin before two-factor was on."""
    secret: str
    recovery_codes: list[str]

    @property
    def access_token(self) -> str:
        token: str = self.signin["accessToken"]
        return token

    @property
    def username(self) -> str:
        name: str = self.signin["username"]
        return name


async def enrol(service: Service, token: str) -> dict[str, Any]:
    response = await service.client.post(
        "/api/user/mfa/totp", json={"password": DEFAULT_PASSWORD}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def enrolled(service: Service, username: str) -> Enrolled:
    """A new user with two-factor on; the clock moved past the confirming code's step."""
    signin = await service.signed_in(username)
    secret = (await enrol(service, signin["accessToken"]))["secret"]
    confirmed = await service.client.post(
        "/api/user/mfa/totp/confirm",
        json={"code": totp(secret, service.clock)},
        headers=auth(signin["accessToken"]),
    )
    assert confirmed.status_code == 200, confirmed.text
    next_step(service.clock)
    return Enrolled(signin, secret, confirmed.json()["recoveryCodes"])


async def mfa_token(service: Service, username: str) -> str:
    """The password step of a signin of a user with two-factor on."""
    response = await service.signin(username)
    assert response.status_code == 200, response.text
    token: str = response.json()["mfaToken"]
    return token


async def second_step(service: Service, token: str, **code: str) -> Any:
    return await service.client.post("/api/auth/signin/mfa", json={"mfaToken": token, **code})


def wrong_code(secret: str, clock: FakeClock) -> str:
    """Six digits that are no code of the accepted window."""
    window = {totp(secret, clock, steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in window)
