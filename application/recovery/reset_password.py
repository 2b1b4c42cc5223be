from dataclasses import dataclass, field

from application.common.client import Client
from application.ports.clock import Clock
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.one_time_tokens import OneTimeTokens
from application.shared.passwords import refuse_common
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.one_time_token import TokenPurpose
from domain.values import PasswordHash, RawPassword


@dataclass(frozen=True, slots=True)
class ResetPasswordRequest:
    token: str = field(repr=False)
    password: str = field(repr=False)


class ResetPassword:
    """Sets a new password with a mailed reset token, which is then used up with every other reset
    token of the user; every session of the user ends, the attacker's included. The link reached
    its owner through the address, so the address counts as verified from then on: the way back
    for a user whose verification link expired while signin requires one."""

    def __init__(
        self,
        identify: IdentifyCaller,
        tokens: OneTimeTokens,
        users: UserRepository,
        sessions: SessionStore,
        hasher: PasswordHasher,
        clock: Clock,
        transactions: Transactions,
        common_passwords: CommonPasswords,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._common_passwords = common_passwords
        self._audit = audit
        self._tokens = tokens
        self._users = users
        self._sessions = sessions
        self._hasher = hasher
        self._clock = clock
        self._transactions = transactions

    async def execute(self, request: ResetPasswordRequest) -> None:
        password = RawPassword(request.password)
        refuse_common(password, self._common_passwords)
        # Checked before hashing, so that a made-up token costs no bcrypt work; checked again,
        # and used up, in the transaction below.
        await self._tokens.holder(request.token, TokenPurpose.PASSWORD_RESET)
        password_hash = await self._hasher.hash(password)
        await self._transactions.run(
            lambda: self._reset(request.token, password_hash, self._identify.client)
        )

    async def _reset(self, token: str, password_hash: PasswordHash, client: Client) -> None:
        user = await self._tokens.redeem(token, TokenPurpose.PASSWORD_RESET)
        await self._users.set_password_hash(user.id, password_hash)
        ended = await self._sessions.revoke_all_of_user(user.id, self._clock.now())
        await self._audit.record(
            AuditEventType.PASSWORD_RESET,
            client,
            user_id=user.id,
            actor_id=user.id,
            detail={"sessionsEnded": ended},
        )
        if not user.email_verified:
            await self._users.mark_email_verified(user.id)
