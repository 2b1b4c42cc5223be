"""Password reset and email verification: the mailed single-use tokens' use cases."""

from dishka import Provider, Scope, provide

from application.recovery.request_password_reset import RequestPasswordReset, SendPasswordReset
from application.recovery.resend_verification import ResendVerification
from application.recovery.reset_password import ResetPassword
from application.recovery.verify_email import VerifyEmail


class RecoveryProvider(Provider):
    scope = Scope.REQUEST

    request_password_reset = provide(RequestPasswordReset)
    send_password_reset = provide(SendPasswordReset)
    reset_password = provide(ResetPassword)
    verify_email = provide(VerifyEmail)
    resend_verification = provide(ResendVerification)
