from dataclasses import dataclass, field

from application.common.errors import AccessTokenInvalid, SecondFactorAlreadyEnabled
from application.ports.clock import Clock
from application.ports.second_factors import (
    QrCodes,
    SecondFactorStore,
    SecretSealer,
    TotpAlgorithm,
)
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import ConfirmPassword
from application.shared.transactions import Transactions
from domain.second_factor import TotpFactor


@dataclass(frozen=True, slots=True)
class BeginTotpEnrolmentRequest:
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TotpIssuer:
    name: str
    """What authenticator apps show the codes under (TOTP_ISSUER)."""


class BeginTotpEnrolment:
    """A new TOTP secret for the signed-in caller, password required (a guess at it is a guess
    at signin: see ConfirmPassword). It stays pending, and signin unchanged, until a code made
    from it confirms it (`ConfirmTotp`); asking again replaces a pending secret."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        factors: SecondFactorStore,
        totp: TotpAlgorithm,
        sealer: SecretSealer,
        qr_codes: QrCodes,
        clock: Clock,
        transactions: Transactions,
        confirm_password: ConfirmPassword,
        issuer: TotpIssuer,
    ) -> None:
        self._identify = identify
        self._users = users
        self._factors = factors
        self._totp = totp
        self._sealer = sealer
        self._qr_codes = qr_codes
        self._clock = clock
        self._transactions = transactions
        self._confirm_password = confirm_password
        self._issuer = issuer

    async def execute(self, request: BeginTotpEnrolmentRequest) -> TotpEnrolment:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:
            raise AccessTokenInvalid
        if user.second_factor:
            raise SecondFactorAlreadyEnabled
        secret = self._totp.new_secret()
        factor = TotpFactor(
            user_id=user.id,
            sealed_secret=self._sealer.seal(secret, user.id),
            created_at=self._clock.now(),
        )

        async def enrol() -> None:
            if not await self._factors.enrol(factor):
                raise SecondFactorAlreadyEnabled

        await self._confirm_password(
            user,
            request.password,
            "wrong password to enrol a second factor",
            lambda: self._transactions.run(enrol),
        )
        uri = self._totp.provisioning_uri(secret, user.username.value, self._issuer.name)
        return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=self._qr_codes.svg(uri))
