from dataclasses import dataclass

from application.common.errors import PasskeyNotFound
from application.ports.passkeys import PasskeyStore
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.transactions import Transactions
from domain.audit import AuditEventType


@dataclass(frozen=True, slots=True)
class RemovePasskeyRequest:
    passkey_id: int


class RemovePasskey:
    """Deletes one passkey of the signed-in caller; any other id is unknown."""

    def __init__(
        self,
        identify: IdentifyCaller,
        passkeys: PasskeyStore,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._passkeys = passkeys
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: RemovePasskeyRequest) -> None:
        caller = await self._identify()
        await self._transactions.run(lambda: self._remove(caller.user_id, request.passkey_id))

    async def _remove(self, user_id: int, passkey_id: int) -> None:
        if not await self._passkeys.remove(user_id, passkey_id):
            raise PasskeyNotFound
        await self._audit.record(
            AuditEventType.PASSKEY_REMOVE,
            self._identify.client,
            user_id=user_id,
            actor_id=user_id,
            detail={"passkey": passkey_id},
        )
