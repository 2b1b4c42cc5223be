"""The building blocks the features share (application/shared), with their policies."""

from datetime import timedelta

from dishka import Provider, Scope, from_context, provide

from application.common.outcomes import RateLimitName
from application.ports.caller import Caller
from application.shared.administrator_second_factor import RequireAdministratorSecondFactor
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.one_time_tokens import OneTimeTokens, TokenPolicy
from application.shared.password_guesses import ConfirmPassword
from application.shared.rate_limits import RateLimitPolicy
from application.shared.second_factor_checks import SecondFactorCheck
from application.shared.second_factor_signins import SecondFactorSignins
from application.shared.signins import StartSession
from application.shared.throttle import ReservationQueue, Throttle
from application.shared.transactions import RetryPolicy, Transactions
from domain.attempts import Backoff, Limit
from entrypoints.settings import DatabaseSettings, LimitSettings, MailSettings, TokenSettings


def retry_policy(database: DatabaseSettings) -> RetryPolicy:
    return RetryPolicy(
        attempts=database.retry_attempts,
        backoff=timedelta(seconds=database.retry_backoff),
    )


def rate_limit_policy(limits: LimitSettings, tokens: TokenSettings) -> RateLimitPolicy:
    def limit(name: RateLimitName, backoff: Backoff | None = None) -> Limit:
        attempts, window = getattr(limits, f"{name}_limit"), getattr(limits, f"{name}_window")
        return Limit(name, attempts, timedelta(seconds=window), backoff)

    backoff = Backoff(
        first=timedelta(seconds=limits.signin_backoff),
        ceiling=timedelta(seconds=limits.signin_backoff_max),
    )
    return RateLimitPolicy(
        enabled=limits.enabled,
        signin_account_address=limit(RateLimitName.SIGNIN_ACCOUNT_ADDRESS, backoff),
        signin_address=limit(RateLimitName.SIGNIN_ADDRESS),
        signin_account=limit(RateLimitName.SIGNIN_ACCOUNT),
        signup_address=limit(RateLimitName.SIGNUP_ADDRESS),
        refresh_session=limit(RateLimitName.REFRESH_SESSION),
        refresh_address=limit(RateLimitName.REFRESH_ADDRESS),
        reset_email=limit(RateLimitName.RESET_EMAIL),
        reset_address=limit(RateLimitName.RESET_ADDRESS),
        resend_user=limit(RateLimitName.RESEND_USER),
        resend_user_hour=limit(RateLimitName.RESEND_USER_HOUR),
        passkey_options_address=limit(RateLimitName.PASSKEY_OPTIONS_ADDRESS),
        in_flight_wait=timedelta(seconds=tokens.hash_queue_timeout),
    )


def token_policy(mail: MailSettings) -> TokenPolicy:
    return TokenPolicy(
        password_reset_lifetime=timedelta(seconds=mail.password_reset_ttl),
        email_verification_lifetime=timedelta(seconds=mail.email_verify_ttl),
        password_reset_url=mail.password_reset_url,
        email_verification_url=mail.email_verify_url,
    )


class SharedProvider(Provider):
    scope = Scope.REQUEST

    retry_policy = provide(staticmethod(retry_policy), scope=Scope.APP)
    rate_limit_policy = provide(staticmethod(rate_limit_policy), scope=Scope.APP)
    token_policy = provide(staticmethod(token_policy), scope=Scope.APP)

    caller = from_context(provides=Caller, scope=Scope.REQUEST)
    """Given by whoever opens the request scope: the HTTP layer (entrypoints/http/injection.py),
    the command line (the operator), background work (nobody)."""

    transactions = provide(Transactions)
    throttle = provide(Throttle)
    reservation_queue = provide(ReservationQueue, scope=Scope.APP)
    identify_caller = provide(IdentifyCaller)
    audit_log = provide(AuditLog)
    one_time_tokens = provide(OneTimeTokens)
    confirm_password = provide(ConfirmPassword)
    start_session = provide(StartSession)
    second_factor_signins = provide(SecondFactorSignins)
    second_factor_check = provide(SecondFactorCheck)
    administrator_second_factor = provide(RequireAdministratorSecondFactor)
