from dataclasses import replace

from application.admin.administrative_change import AdministrativeChange
from application.admin.authorize_administrator import Administrator, AuthorizeAdministrator
from application.common.errors import UserNotFound
from application.ports.clock import Clock
from application.ports.second_factors import SecondFactorStore
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.user import User


class ResetSecondFactor(AdministrativeChange[[int], User]):
    """For a user who lost both their authenticator and their recovery codes: two-factor off,
    the recovery codes gone, and every session ended, so that whoever held one signs in again
    under the password alone, which the user may then change."""

    def __init__(
        self,
        authorize: AuthorizeAdministrator,
        users: UserRepository,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
        factors: SecondFactorStore,
    ) -> None:
        super().__init__(authorize, users, sessions, clock, transactions, audit)
        self._factors = factors

    async def _change(self, administrator: Administrator, user_id: int) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise UserNotFound
        removed = await self._factors.remove(user.id)
        ended = await self._sessions.revoke_all_of_user(user.id, self._clock.now())
        await self._record(
            AuditEventType.MFA_RESET,
            administrator,
            user.id,
            {"secondFactorRemoved": removed, "sessionsEnded": ended},
        )
        return replace(user, second_factor=False)
