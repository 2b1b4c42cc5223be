from dataclasses import dataclass, field

from application.common.errors import (
    AccountDisabled,
    SecondFactorCodeRequired,
    SigninCodeInvalid,
    TooManyAttempts,
)
from application.common.outcomes import SigninOutcome
from application.ports.metrics import Metrics
from application.shared.identify_caller import IdentifyCaller
from application.shared.rate_limits import SigninAttempts
from application.shared.second_factor_checks import SecondFactorCheck, SecondFactorCode
from application.shared.second_factor_signins import SecondFactorSignins
from application.shared.signins import SignedIn, StartSession
from application.shared.throttle import Reservation, Throttle
from application.shared.transactions import Transactions
from domain.one_time_token import IssuedOneTimeToken
from domain.second_factor import SigninMethod
from domain.user import User


@dataclass(frozen=True, slots=True)
class SignInWithSecondFactorRequest:
    mfa_token: str = field(repr=False)
    code: SecondFactorCode


class SignInWithSecondFactor:
    """The second step of a signin: the mfaToken of the password step and a code. A wrong code
    is a failed signin of the account (counted under its limits, recorded as `mfa.failure`) and
    leaves the mfaToken for another try; a right one is used up, and so is the mfaToken, in the
    unit of work that starts the session. Of concurrent requests presenting one code, on any
    worker or server, exactly one signs in."""

    def __init__(
        self,
        identify: IdentifyCaller,
        signins: SecondFactorSignins,
        check: SecondFactorCheck,
        start_session: StartSession,
        throttle: Throttle,
        transactions: Transactions,
        metrics: Metrics,
    ) -> None:
        self._identify = identify
        self._signins = signins
        self._check = check
        self._start_session = start_session
        self._throttle = throttle
        self._transactions = transactions
        self._metrics = metrics

    async def execute(self, request: SignInWithSecondFactorRequest) -> SignedIn:
        user, pending = await self._signins.pending(request.mfa_token)
        if not request.code.given:
            raise SecondFactorCodeRequired
        if user.disabled:
            raise AccountDisabled
        client = self._identify.client
        attempts = self._throttle.policy.signin(user.username.value, client)
        try:
            reservation = await self._throttle.reserve(
                attempts.all, self._transactions, may_give_back=True
            )
        except TooManyAttempts:
            self._metrics.signin(SigninOutcome.THROTTLED)
            raise
        signed_in = await self._transactions.run(
            lambda: self._finish(user, pending, request.code, attempts, reservation)
        )
        if signed_in is None:
            await self._check.refused(user, reservation, client)
            raise SigninCodeInvalid
        self._metrics.signin(SigninOutcome.SUCCESS)
        return signed_in

    async def _finish(
        self,
        user: User,
        pending: IssuedOneTimeToken,
        code: SecondFactorCode,
        attempts: SigninAttempts,
        reservation: Reservation,
    ) -> SignedIn | None:
        """One unit of work: the code used, the mfaToken used, the session started; on SQL a
        lost race for either rolls the other back. None, and nothing written, for a wrong
        code."""
        method = await self._check.accept(user, code)
        if method is None:
            return None
        await self._signins.finish(pending)
        return await self._start_session(
            user, SigninMethod.after(method), attempts, reservation, self._identify.client
        )
