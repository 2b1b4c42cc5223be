"""The second factor's use cases on the production container, with in-memory storage: the
signin's two steps, a code used once under real concurrency, and what ends a pending signin."""

import asyncio
from dataclasses import replace

import pytest

from application.common.errors import (
    AccountDisabled,
    SecondFactorSigninExpired,
    SigninCodeInvalid,
)
from application.mfa.begin_totp_enrolment import BeginTotpEnrolment, BeginTotpEnrolmentRequest
from application.mfa.confirm_totp import ConfirmTotp, ConfirmTotpRequest
from application.mfa.sign_in_with_second_factor import (
    SignInWithSecondFactor,
    SignInWithSecondFactorRequest,
)
from application.sessions.authenticate_user import SecondFactorRequired
from application.shared.second_factor_checks import SecondFactorCode
from application.shared.signins import SignedIn
from domain.values import PasswordHash
from tests.mfa import next_step, totp
from tests.unit.authgate import PASSWORD, Authgate, PerRequest


async def enrolled(authgate: Authgate) -> tuple[str, list[str]]:
    """alice with two-factor on: her secret and recovery codes."""
    signin = await authgate.signed_in("alice")
    token = signin.access_token.value
    begin = PerRequest(authgate.container, BeginTotpEnrolment, BeginTotpEnrolment.execute)
    enrolment = await begin.by(token).execute(BeginTotpEnrolmentRequest(PASSWORD))
    confirm = PerRequest(authgate.container, ConfirmTotp, ConfirmTotp.execute)
    codes = await confirm.by(token).execute(
        ConfirmTotpRequest(totp(enrolment.secret, authgate.clock))
    )
    next_step(authgate.clock)
    return enrolment.secret, codes


async def password_step(authgate: Authgate) -> str:
    with pytest.raises(SecondFactorRequired) as step:
        await authgate.signin("alice")
    return step.value.mfa_token


def second_step(authgate: Authgate) -> PerRequest[[SignInWithSecondFactorRequest], SignedIn]:
    return PerRequest(authgate.container, SignInWithSecondFactor, SignInWithSecondFactor.execute)


async def test_the_password_step_starts_no_session(authgate: Authgate) -> None:
    await enrolled(authgate)
    sessions = len(authgate.storage.sessions)

    token = await password_step(authgate)

    assert len(token) >= 43
    assert len(authgate.storage.sessions) == sessions


async def test_of_fifty_concurrent_second_steps_with_one_code_one_signs_in(
    authgate: Authgate,
) -> None:
    secret, _ = await enrolled(authgate)
    tokens = [await password_step(authgate) for _ in range(50)]
    code = SecondFactorCode(totp=totp(secret, authgate.clock))

    outcomes = await asyncio.gather(
        *(second_step(authgate).execute(SignInWithSecondFactorRequest(t, code)) for t in tokens),
        return_exceptions=True,
    )

    assert sum(isinstance(outcome, SignedIn) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, SigninCodeInvalid) for outcome in outcomes) == 49


async def test_a_password_change_ends_a_pending_signin(authgate: Authgate) -> None:
    secret, _ = await enrolled(authgate)
    token = await password_step(authgate)
    alice = next(iter(authgate.storage.users.values()))
    authgate.storage.users[alice.id] = replace(alice, password_hash=PasswordHash("$2b$04$other"))

    with pytest.raises(SecondFactorSigninExpired):
        await second_step(authgate).execute(
            SignInWithSecondFactorRequest(
                token, SecondFactorCode(totp=totp(secret, authgate.clock))
            )
        )


async def test_a_disabled_account_does_not_finish_its_signin(authgate: Authgate) -> None:
    _, codes = await enrolled(authgate)
    token = await password_step(authgate)
    alice = next(iter(authgate.storage.users.values()))
    authgate.storage.users[alice.id] = replace(alice, disabled=True)

    with pytest.raises(AccountDisabled):
        await second_step(authgate).execute(
            SignInWithSecondFactorRequest(token, SecondFactorCode(recovery_code=codes[0]))
        )
    assert len(authgate.storage.recovery_codes[alice.id]) == 10
