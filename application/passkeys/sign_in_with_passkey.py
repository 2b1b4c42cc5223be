import logging
from dataclasses import dataclass

from application.common.errors import (
    AccountDisabled,
    EmailNotVerified,
    PasskeySigninFailed,
    TooManyAttempts,
)
from application.common.outcomes import SigninOutcome
from application.passkeys.challenges import PasskeyChallenges
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.passkeys import (
    Assertion,
    Credential,
    CredentialRejected,
    PasskeyStore,
    RelyingParty,
)
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.rate_limits import Attempt
from application.shared.session_policy import SigninRules
from application.shared.signins import SignedIn, StartSession
from application.shared.throttle import Throttle
from application.shared.transactions import Transactions
from domain.audit import AuditEventType, DetailValue
from domain.passkey import Passkey, counter_moves_on, signin_allowed, user_handle
from domain.second_factor import SigninMethod
from domain.user import User

logger = logging.getLogger("authgate")
SIGNIN_METHOD = SigninMethod.PASSKEY.value


@dataclass(frozen=True, slots=True)
class SignInWithPasskeyRequest:
    credential: Credential


class _Refused(Exception):
    def __init__(self, reason: str, user_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id


class SignInWithPasskey:
    """Signin with a passkey: the challenge is used up first, then the credential must be a
    registered one that the challenge lets in, its signature must verify under the stored key,
    and its counter must move on. Any failure is the same refusal; a counter gone backwards is
    also recorded as a possibly cloned authenticator. Success starts a session as a password
    signin does; no second factor follows: for an account with two-factor on, the passkey must
    have verified its user (a PIN, a fingerprint), or it is refused."""

    def __init__(
        self,
        identify: IdentifyCaller,
        challenges: PasskeyChallenges,
        passkeys: PasskeyStore,
        relying_party: RelyingParty,
        users: UserRepository,
        start_session: StartSession,
        clock: Clock,
        rules: SigninRules,
        transactions: Transactions,
        throttle: Throttle,
        metrics: Metrics,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._challenges = challenges
        self._passkeys = passkeys
        self._relying_party = relying_party
        self._users = users
        self._start_session = start_session
        self._clock = clock
        self._rules = rules
        self._transactions = transactions
        self._throttle = throttle
        self._metrics = metrics
        self._audit = audit

    async def execute(self, request: SignInWithPasskeyRequest) -> SignedIn:
        attempts = self._throttle.policy.passkey_signin(self._identify.client)
        try:
            await self._throttle.check(attempts)
        except TooManyAttempts:
            self._metrics.signin(SigninOutcome.THROTTLED)
            raise
        try:
            passkey, assertion = await self._verified(request.credential)
        except _Refused as refused:
            await self._refuse(refused, attempts)
            raise PasskeySigninFailed from None
        user = await self._users.get(passkey.user_id)
        if user is None:  # deleted since: its passkeys went with it
            self._metrics.signin(SigninOutcome.FAILURE)
            raise PasskeySigninFailed
        if user.disabled:
            self._metrics.signin(SigninOutcome.DISABLED)
            await self._audit.record_alone(
                AuditEventType.SIGNIN_FAILURE,
                self._identify.client,
                user_id=user.id,
                actor_id=None,
                detail={"reason": "account disabled", "method": SIGNIN_METHOD},
            )
            raise AccountDisabled
        if self._rules.require_verified_email and not user.email_verified:
            self._metrics.signin(SigninOutcome.UNVERIFIED)
            raise EmailNotVerified
        if user.second_factor and not assertion.user_verified:
            # Without user verification a passkey proves possession alone: one factor, where the
            # account asks for two. Refused like any failure; password and code still sign in.
            await self._refuse(
                _Refused("no user verification, and two-factor is on", user.id), attempts
            )
            raise PasskeySigninFailed
        response = await self._transactions.run(lambda: self._signed_in(user, passkey, assertion))
        self._metrics.signin(SigninOutcome.SUCCESS)
        return response

    async def _verified(self, credential: Credential) -> tuple[Passkey, Assertion]:
        used = await self._challenges.use_up(credential)
        if used is None:
            raise _Refused("unknown or used challenge")
        challenge, record = used
        credential_id = self._relying_party.credential_id_of(credential)
        passkey = None if credential_id is None else await self._passkeys.find(credential_id)
        if passkey is None:
            raise _Refused("unknown credential")
        if not signin_allowed(record, passkey.user_id, self._clock.now()):
            raise _Refused("expired challenge, or one for another account", passkey.user_id)
        try:
            assertion = self._relying_party.verify_authentication(
                credential, challenge, passkey.public_key
            )
        except CredentialRejected as rejected:
            # What the package said names what the client sent: for the log, not the trail.
            logger.info("passkey assertion rejected: %.200s", rejected)
            raise _Refused("assertion rejected", passkey.user_id) from rejected
        if assertion.user_handle is not None and assertion.user_handle != user_handle(
            passkey.user_id
        ):
            raise _Refused("user handle of another account", passkey.user_id)
        if not counter_moves_on(passkey.sign_count, assertion.sign_count):
            await self._audit.record_alone(
                AuditEventType.PASSKEY_CLONED,
                self._identify.client,
                user_id=passkey.user_id,
                actor_id=None,
                detail={
                    "passkey": passkey.id,
                    "storedCount": passkey.sign_count,
                    "presentedCount": assertion.sign_count,
                },
            )
            raise _Refused("signature counter went backwards", passkey.user_id)
        return passkey, assertion

    async def _refuse(self, refused: _Refused, attempts: tuple[Attempt, ...]) -> None:
        logger.info("passkey signin refused: %s", refused.reason)
        self._metrics.signin(SigninOutcome.FAILURE)
        await self._transactions.run(lambda: self._record_failure(refused, attempts))

    async def _record_failure(self, refused: _Refused, attempts: tuple[Attempt, ...]) -> None:
        await self._throttle.count(attempts)
        detail: dict[str, DetailValue] = {"reason": refused.reason, "method": SIGNIN_METHOD}
        await self._audit.record(
            AuditEventType.SIGNIN_FAILURE,
            self._identify.client,
            user_id=refused.user_id,
            actor_id=None,
            detail=detail,
        )

    async def _signed_in(self, user: User, passkey: Passkey, assertion: Assertion) -> SignedIn:
        signed_in = await self._start_session.begin(
            user,
            SigninMethod.PASSKEY,
            self._identify.client,
            # With user verification (a PIN, a fingerprint) the passkey alone is two factors.
            detail={"passkey": passkey.id, "userVerified": assertion.user_verified},
        )
        await self._passkeys.record_use(passkey.id, assertion.sign_count, self._clock.now())
        return signed_in
