from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import AccessTokenInvalid
from application.ports.clock import Clock
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import ConfirmPassword
from application.shared.passwords import refuse_common
from application.shared.second_factor_checks import SecondFactorCheck, SecondFactorCode
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.errors import InvalidField
from domain.user import User
from domain.values import PasswordHash, RawPassword


@dataclass(frozen=True, slots=True)
class ChangePasswordRequest:
    current_password: str = field(repr=False)
    new_password: str = field(repr=False)
    code: str | None = field(default=None, repr=False)
    """A TOTP or recovery code: required when the caller has a second factor."""


class ChangePassword:
    """A new password for the signed-in caller (and a code of their second factor, if they have
    one). Every other session of the caller ends in the
    same unit of work, so a session that stole the old password cannot outlive the change; the
    session that asked stays."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        hasher: PasswordHasher,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
        confirm_password: ConfirmPassword,
        common_passwords: CommonPasswords,
        second_factor: SecondFactorCheck,
    ) -> None:
        self._second_factor = second_factor
        self._confirm_password = confirm_password
        self._common_passwords = common_passwords
        self._identify = identify
        self._users = users
        self._hasher = hasher
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: ChangePasswordRequest) -> int:
        """How many other sessions ended."""
        caller = await self._identify()
        new_password = _new_password(request.new_password)
        refuse_common(new_password, self._common_passwords)
        user = await self._users.get(caller.user_id)
        if user is None:
            raise AccessTokenInvalid
        code = SecondFactorCode.either(request.code)
        self._second_factor.demand(user, code)

        async def change() -> int:
            new_hash = await self._hasher.hash(new_password)
            return await self._transactions.run(
                lambda: self._change(user, caller.session_id, new_hash, self._identify.client)
            )

        return await self._confirm_password(
            user,
            request.current_password,
            "wrong current password",
            lambda: self._second_factor.step_up(user, code, change),
        )

    async def _change(
        self, user: User, current_session: str, new_hash: PasswordHash, client: Client
    ) -> int:
        await self._users.set_password_hash(user.id, new_hash)
        ended = await self._sessions.revoke_all_of_user(
            user.id, self._clock.now(), keep=current_session
        )
        await self._audit.record(
            AuditEventType.PASSWORD_CHANGE,
            client,
            user_id=user.id,
            actor_id=user.id,
            detail={"sessionsEnded": ended},
        )
        return ended


def _new_password(value: str) -> RawPassword:
    try:
        return RawPassword(value)
    except InvalidField as error:
        raise InvalidField("newPassword", error.reason) from None
