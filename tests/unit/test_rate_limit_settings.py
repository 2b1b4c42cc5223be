from datetime import timedelta

import pytest

from application.shared.rate_limits import RateLimitPolicy
from entrypoints.ioc.shared import rate_limit_policy
from entrypoints.settings import Settings, SettingsError

SECRET = "a secret of at least thirty-two bytes, for these tests"


def settings(**env: str) -> Settings:
    return Settings.from_env({"JWT_SECRET": SECRET, **env})


def policy_of(settings: Settings) -> RateLimitPolicy:
    return rate_limit_policy(settings.limits, settings.tokens)


def test_the_contracts_defaults() -> None:
    policy = policy_of(settings())

    assert policy.enabled
    pair = policy.signin_account_address
    assert (pair.attempts, pair.window) == (5, timedelta(minutes=15))
    assert pair.backoff is not None
    assert pair.backoff.ceiling == timedelta(minutes=15)
    assert (policy.signin_address.attempts, policy.signin_address.window) == (
        100,
        timedelta(hours=1),
    )
    assert (policy.signin_account.attempts, policy.signin_account.window) == (
        50,
        timedelta(hours=1),
    )
    assert (policy.signup_address.attempts, policy.signup_address.window) == (
        30,
        timedelta(hours=1),
    )
    assert (policy.reset_email.attempts, policy.reset_address.attempts) == (5, 20)
    assert (policy.resend_user.attempts, policy.resend_user.window) == (1, timedelta(minutes=1))
    assert (policy.resend_user_hour.attempts, policy.resend_user_hour.window) == (
        5,
        timedelta(hours=1),
    )
    # The account from anywhere must stay above the account from one address (README).
    assert policy.signin_account.attempts > pair.attempts


@pytest.mark.parametrize("off", ["off", "false", "0", "no"])
def test_rate_limits_off_switches_them_all_off(off: str) -> None:
    assert not policy_of(settings(RATE_LIMITS=off)).enabled


def test_every_limit_and_window_is_configurable() -> None:
    policy = policy_of(
        settings(
            SIGNIN_ACCOUNT_ADDRESS_LIMIT="3",
            SIGNIN_ACCOUNT_ADDRESS_WINDOW="60",
            SIGNIN_BACKOFF="5",
            SIGNIN_BACKOFF_MAX="40",
            REFRESH_SESSION_LIMIT="7",
            REFRESH_SESSION_WINDOW="120",
            RESEND_USER_HOUR_LIMIT="9",
            HASH_QUEUE_TIMEOUT="2.5",
        )
    )

    pair = policy.signin_account_address
    assert (pair.attempts, pair.window) == (3, timedelta(minutes=1))
    assert pair.backoff is not None
    assert (pair.backoff.first, pair.backoff.ceiling) == (
        timedelta(seconds=5),
        timedelta(seconds=40),
    )
    assert (policy.refresh_session.attempts, policy.refresh_session.window) == (
        7,
        timedelta(minutes=2),
    )
    assert policy.resend_user_hour.attempts == 9
    # Attempts in flight are waited for as long as a hashing slot is.
    assert policy.in_flight_wait == timedelta(seconds=2.5)


@pytest.mark.parametrize(
    ("variable", "value"), [("SIGNIN_ACCOUNT_LIMIT", "0"), ("SIGNUP_ADDRESS_WINDOW", "soon")]
)
def test_a_bad_limit_stops_the_service(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        settings(**{variable: value})


def test_redis_is_used_only_when_configured() -> None:
    assert settings().limits.redis_url == ""
    assert settings(REDIS_URL="redis://cache:6379/2").limits.redis_url == "redis://cache:6379/2"
