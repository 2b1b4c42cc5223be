"""The signed-in caller's second factor: TOTP enrolment and confirmation, recovery codes, and
turning it off. The token is taken as for /api/test/user."""

from dishka.integrations.litestar import FromDishka
from litestar import Controller, delete, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from application.mfa.begin_totp_enrolment import BeginTotpEnrolment, BeginTotpEnrolmentRequest
from application.mfa.confirm_totp import ConfirmTotp, ConfirmTotpRequest
from application.mfa.disable_totp import DisableTotp, DisableTotpRequest
from application.mfa.regenerate_recovery_codes import (
    RegenerateRecoveryCodes,
    RegenerateRecoveryCodesRequest,
)
from entrypoints.http.openapi import ACCESS_TOKEN, or_cross_site, refusals
from entrypoints.http.schemas import (
    CodeBody,
    EnrolmentBody,
    MessageBody,
    PasswordBody,
    RecoveryCodesAnswer,
    TotpEnrolmentAnswer,
)

_SIGNED_IN = (401, 403, 413, 415, 503)
_MEANINGS = {
    400: "A missing or invalid field; the password is not the caller's (`Current password is "
    "incorrect.`), or the code is missing (`Two-factor code required.`) or wrong, used, or "
    "there is nothing to check it against (`Invalid code.`).",
    403: or_cross_site("No token was sent."),
    409: "Two-factor authentication is already enabled.",
    429: "Too many failed signins of the account (a wrong password or code counts as one).",
}


def _refusals(*status_codes: int) -> dict[int, ResponseSpec]:
    return refusals(*_SIGNED_IN, *status_codes, meanings=_MEANINGS)


class SecondFactorController(Controller):
    path = "/api/user/mfa"
    tags = ["two-factor"]
    security = ACCESS_TOKEN

    @post("/totp", status_code=HTTP_200_OK, responses=_refusals(400, 409, 429))
    async def enrol(
        self, data: JSONBody[EnrolmentBody], begin: FromDishka[BeginTotpEnrolment]
    ) -> TotpEnrolmentAnswer:
        """A new TOTP secret, pending until confirmed; the password is asked again (a wrong
        one counts as a failed signin)."""
        enrolment = await begin.execute(BeginTotpEnrolmentRequest(password=data.password))
        return TotpEnrolmentAnswer(
            secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg=enrolment.qr_svg
        )

    @post("/totp/confirm", status_code=HTTP_200_OK, responses=_refusals(400, 409))
    async def confirm(
        self, data: JSONBody[CodeBody], confirm: FromDishka[ConfirmTotp]
    ) -> RecoveryCodesAnswer:
        """A code from the authenticator turns two-factor on; answers the 10 recovery codes,
        shown this once."""
        return RecoveryCodesAnswer(
            recovery_codes=await confirm.execute(ConfirmTotpRequest(code=data.code))
        )

    @delete("/totp", status_code=HTTP_200_OK, responses=_refusals(400, 429))
    async def disable(
        self, data: JSONBody[PasswordBody], disable: FromDishka[DisableTotp]
    ) -> MessageBody:
        """Turns two-factor off, with the password and a code; the recovery codes go too."""
        await disable.execute(DisableTotpRequest(password=data.password, code=data.code))
        return MessageBody("Two-factor authentication disabled.")

    @post("/recovery-codes", status_code=HTTP_200_OK, responses=_refusals(400, 429))
    async def regenerate(
        self, data: JSONBody[PasswordBody], regenerate: FromDishka[RegenerateRecoveryCodes]
    ) -> RecoveryCodesAnswer:
        """New recovery codes, with the password and a code; the old ones stop working."""
        codes = await regenerate.execute(
            RegenerateRecoveryCodesRequest(password=data.password, code=data.code)
        )
        return RecoveryCodesAnswer(recovery_codes=codes)
