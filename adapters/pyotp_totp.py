"""TOTP by pyotp: RFC 6238 with SHA-1, 6 digits and 30-second steps, what every authenticator
app computes by default."""

import pyotp

from application.ports.second_factors import TotpAlgorithm
from domain.second_factor import STEP_SECONDS, TOTP_DIGITS, step_start

# 160 bits, RFC 4226's recommended length for the shared secret: 32 base32 characters.
_SECRET_CHARACTERS = 32


class PyotpTotpAlgorithm(TotpAlgorithm):
    def new_secret(self) -> str:
        return pyotp.random_base32(_SECRET_CHARACTERS)

    def code_at(self, secret: str, step: int) -> str:
        return self._totp(secret).at(step_start(step))

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        return self._totp(secret).provisioning_uri(name=account, issuer_name=issuer)

    @staticmethod
    def _totp(secret: str) -> pyotp.TOTP:
        return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=STEP_SECONDS)
