"""The second factor: TOTP by pyotp, QR codes by segno, secrets sealed under JWT_SECRET."""

from dishka import Provider, Scope, provide

from adapters.mfa_secrets import AesGcmSecretSealer
from adapters.pyotp_totp import PyotpTotpAlgorithm
from adapters.segno_qr import SegnoQrCodes
from application.mfa.begin_totp_enrolment import BeginTotpEnrolment, TotpIssuer
from application.mfa.confirm_totp import ConfirmTotp
from application.mfa.disable_totp import DisableTotp
from application.mfa.guarded_change import GuardedChange
from application.mfa.regenerate_recovery_codes import RegenerateRecoveryCodes
from application.mfa.sign_in_with_second_factor import SignInWithSecondFactor
from application.ports.second_factors import QrCodes, SecretSealer, TotpAlgorithm
from application.shared.administrator_second_factor import AdministratorRules
from entrypoints.settings import MfaSettings, TokenSettings


def totp_issuer(mfa: MfaSettings) -> TotpIssuer:
    return TotpIssuer(mfa.totp_issuer)


def administrator_rules(mfa: MfaSettings) -> AdministratorRules:
    return AdministratorRules(require_second_factor=mfa.require_admin_mfa)


def secret_sealer(tokens: TokenSettings) -> SecretSealer:
    return AesGcmSecretSealer(tokens.jwt_secret)


class MfaProvider(Provider):
    scope = Scope.REQUEST

    totp_issuer = provide(staticmethod(totp_issuer), scope=Scope.APP)
    administrator_rules = provide(staticmethod(administrator_rules), scope=Scope.APP)
    secret_sealer = provide(staticmethod(secret_sealer), scope=Scope.APP)
    totp = provide(PyotpTotpAlgorithm, provides=TotpAlgorithm, scope=Scope.APP)
    qr_codes = provide(SegnoQrCodes, provides=QrCodes, scope=Scope.APP)

    guarded_change = provide(GuardedChange)
    begin_totp_enrolment = provide(BeginTotpEnrolment)
    confirm_totp = provide(ConfirmTotp)
    sign_in_with_second_factor = provide(SignInWithSecondFactor)
    disable_totp = provide(DisableTotp)
    regenerate_recovery_codes = provide(RegenerateRecoveryCodes)
