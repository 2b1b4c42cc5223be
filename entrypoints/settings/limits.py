"""Rate limits: how many attempts each window (seconds) allows, and where the tallies are kept.
README, "Guessing and abuse"."""

from dataclasses import dataclass

from entrypoints.settings.declarations import setting


@dataclass(frozen=True, slots=True)
class LimitSettings:
    enabled: bool = setting(True, "RATE_LIMITS")
    redis_url: str = setting("", "REDIS_URL")
    """Empty: the tallies are kept in the database (or in memory with `memory://`)."""
    signin_account_address_limit: int = setting(5, "SIGNIN_ACCOUNT_ADDRESS_LIMIT", low=1)
    signin_account_address_window: int = setting(900, "SIGNIN_ACCOUNT_ADDRESS_WINDOW", low=1)
    signin_backoff: int = setting(60, "SIGNIN_BACKOFF", low=1)
    """Seconds of the first lock of an account from one address; each failure doubles it."""
    signin_backoff_max: int = setting(900, "SIGNIN_BACKOFF_MAX", low=1)
    signin_address_limit: int = setting(100, "SIGNIN_ADDRESS_LIMIT", low=1)
    signin_address_window: int = setting(3600, "SIGNIN_ADDRESS_WINDOW", low=1)
    signin_account_limit: int = setting(50, "SIGNIN_ACCOUNT_LIMIT", low=1)
    signin_account_window: int = setting(3600, "SIGNIN_ACCOUNT_WINDOW", low=1)
    signup_address_limit: int = setting(30, "SIGNUP_ADDRESS_LIMIT", low=1)
    signup_address_window: int = setting(3600, "SIGNUP_ADDRESS_WINDOW", low=1)
    refresh_session_limit: int = setting(120, "REFRESH_SESSION_LIMIT", low=1)
    refresh_session_window: int = setting(3600, "REFRESH_SESSION_WINDOW", low=1)
    refresh_address_limit: int = setting(3600, "REFRESH_ADDRESS_LIMIT", low=1)
    refresh_address_window: int = setting(3600, "REFRESH_ADDRESS_WINDOW", low=1)
    reset_email_limit: int = setting(5, "RESET_EMAIL_LIMIT", low=1)
    reset_email_window: int = setting(3600, "RESET_EMAIL_WINDOW", low=1)
    reset_address_limit: int = setting(20, "RESET_ADDRESS_LIMIT", low=1)
    reset_address_window: int = setting(3600, "RESET_ADDRESS_WINDOW", low=1)
    resend_user_limit: int = setting(1, "RESEND_USER_LIMIT", low=1)
    resend_user_window: int = setting(60, "RESEND_USER_WINDOW", low=1)
    """Verification resends of one user: the short limit, against a burst."""
    resend_user_hour_limit: int = setting(5, "RESEND_USER_HOUR_LIMIT", low=1)
    resend_user_hour_window: int = setting(3600, "RESEND_USER_HOUR_WINDOW", low=1)
    """And the long one, against a resend a minute all day."""
    passkey_options_address_limit: int = setting(30, "PASSKEY_OPTIONS_ADDRESS_LIMIT", low=1)
    passkey_options_address_window: int = setting(60, "PASSKEY_OPTIONS_ADDRESS_WINDOW", low=1)
    """Passkey signin challenges one address may ask for: each is a row kept until it expires."""
