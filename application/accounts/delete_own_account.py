from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import AccessTokenInvalid, CurrentPasswordIncorrect
from application.common.outcomes import SigninOutcome
from application.ports.metrics import Metrics
from application.ports.passwords import PasswordHasher
from application.ports.users import UserRepository
from application.shared.account_changes import account_for_change
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.transactions import Transactions
from domain.administrators import AccountChange
from domain.audit import AuditEventType


@dataclass(frozen=True, slots=True)
class DeleteOwnAccountRequest:
    password: str = field(repr=False)


class DeleteOwnAccount:
    """The signed-in caller deletes their account, password required; all its sessions end with
    it. The last enabled administrator cannot."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        hasher: PasswordHasher,
        transactions: Transactions,
        audit: AuditLog,
        metrics: Metrics,
    ) -> None:
        self._identify = identify
        self._users = users
        self._hasher = hasher
        self._transactions = transactions
        self._audit = audit
        self._metrics = metrics

    async def execute(self, request: DeleteOwnAccountRequest) -> None:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:
            raise AccessTokenInvalid
        if not await self._hasher.verify(request.password, user.password_hash):
            # A guess like a failed signin, counted the same way (see ChangePassword).
            self._metrics.signin(SigninOutcome.FAILURE)
            await self._audit.record_alone(
                AuditEventType.SIGNIN_FAILURE,
                self._identify.client,
                user_id=user.id,
                actor_id=user.id,
                detail={"reason": "wrong password to delete the account"},
            )
            raise CurrentPasswordIncorrect
        await self._transactions.run(lambda: self._delete(user.id, self._identify.client))

    async def _delete(self, user_id: int, client: Client) -> None:
        await account_for_change(self._users, user_id, AccountChange(delete=True))
        await self._users.delete(user_id)
        await self._audit.record(
            AuditEventType.USER_DELETE, client, user_id=user_id, actor_id=user_id
        )
