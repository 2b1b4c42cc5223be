import logging
from dataclasses import dataclass

from application.common.errors import PasskeyRegistrationFailed
from application.passkeys.challenges import PasskeyChallenges
from application.ports.clock import Clock
from application.ports.passkeys import (
    AttestedCredential,
    Credential,
    CredentialRejected,
    PasskeyAlreadyRegistered,
    PasskeyStore,
    RelyingParty,
)
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.passkey import NewPasskey, Passkey, passkey_name, registration_allowed

logger = logging.getLogger("authgate")


@dataclass(frozen=True, slots=True)
class RegisterPasskeyRequest:
    credential: Credential
    name: str | None = None


class RegisterPasskey:
    """Stores the signed-in caller's new passkey once it answers a registration challenge of
    theirs, from an allowed origin, for this relying party."""

    def __init__(
        self,
        identify: IdentifyCaller,
        passkeys: PasskeyStore,
        challenges: PasskeyChallenges,
        relying_party: RelyingParty,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._passkeys = passkeys
        self._challenges = challenges
        self._relying_party = relying_party
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: RegisterPasskeyRequest) -> Passkey:
        caller = await self._identify()
        name = passkey_name(request.name)
        used = await self._challenges.use_up(request.credential)
        if used is None or not registration_allowed(used[1], caller.user_id, self._clock.now()):
            raise PasskeyRegistrationFailed
        try:
            attested = self._relying_party.verify_registration(request.credential, used[0])
        except CredentialRejected as rejected:
            logger.info("passkey registration refused: %.200s", rejected)
            raise PasskeyRegistrationFailed from rejected
        try:
            return await self._transactions.run(lambda: self._store(caller.user_id, attested, name))
        except PasskeyAlreadyRegistered:
            raise PasskeyRegistrationFailed from None

    async def _store(self, user_id: int, attested: AttestedCredential, name: str) -> Passkey:
        passkey = await self._passkeys.add(
            NewPasskey(
                user_id=user_id,
                credential_id=attested.credential_id,
                public_key=attested.public_key,
                sign_count=attested.sign_count,
                transports=attested.transports,
                name=name,
                created_at=self._clock.now(),
            )
        )
        await self._audit.record(
            AuditEventType.PASSKEY_ADD,
            self._identify.client,
            user_id=user_id,
            actor_id=user_id,
            detail={"passkey": passkey.id, "name": passkey.name},
        )
        return passkey
