from collections.abc import Sequence
from dataclasses import dataclass, field

from application.common.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    AccessTokenMissing,
    PrivilegedRoleNotAllowed,
)
from application.ports.clock import Clock
from application.ports.mail import MailMessage, OutgoingMail
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.users import UserRepository
from application.shared.administrator_second_factor import RequireAdministratorSecondFactor
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.new_accounts import NewAccount, Signup, create_user
from application.shared.one_time_tokens import OneTimeTokens
from application.shared.passwords import refuse_common
from application.shared.throttle import Throttle
from application.shared.transactions import Transactions
from domain.one_time_token import TokenPurpose
from domain.roles import PRIVILEGED_ROLES, Role, roles_from_names
from domain.user import User
from domain.values import Email, RawPassword, Username


@dataclass(frozen=True, slots=True)
class RegisterUserRequest:
    username: str
    email: str
    password: str = field(repr=False)
    roles: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class RegisterUserResponse:
    user_id: int


class RegisterUser:
    """Signup. Every signup that passes the field rules counts against its address's limit, a
    refused duplicate too (it tells that a name or an email is taken)."""

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        identify: IdentifyCaller,
        clock: Clock,
        transactions: Transactions,
        tokens: OneTimeTokens,
        mail: OutgoingMail,
        throttle: Throttle,
        common_passwords: CommonPasswords,
        audit: AuditLog,
        administrator_second_factor: RequireAdministratorSecondFactor,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._identify = identify
        self._clock = clock
        self._transactions = transactions
        self._tokens = tokens
        self._mail = mail
        self._throttle = throttle
        self._common_passwords = common_passwords
        self._audit = audit
        self._administrator_second_factor = administrator_second_factor

    async def execute(self, request: RegisterUserRequest) -> RegisterUserResponse:
        username = Username(request.username)
        email = Email(request.email)
        password = RawPassword(request.password)
        roles = roles_from_names(request.roles)
        refuse_common(password, self._common_passwords)
        actor_id = None
        if roles & PRIVILEGED_ROLES:
            actor_id = await self._require_administrator()
        attempts = self._throttle.policy.signup(self._identify.client)
        # Counted before the hash, whatever the signup's outcome, and committed at once, so that
        # a burst of signups gets no further than the limit.
        await self._throttle.reserve(attempts, self._transactions)
        account = NewAccount(username, email, roles)
        verification: list[MailMessage] = []

        async def issue_verification(user: User) -> None:
            # In the signup's transaction, so a user never exists without a way to verify; the
            # list is refilled if the transaction runs again.
            verification[:] = [await self._tokens.issue(user, TokenPurpose.EMAIL_VERIFICATION)]

        user = await create_user(
            self._users,
            self._hasher,
            self._clock,
            self._transactions,
            account,
            password,
            Signup(self._audit, self._identify.client, actor_id),
            after_insert=issue_verification,
        )
        # Only now that the signup has committed: a mail never announces a user that is not there.
        for message in verification:
            self._mail.post(message)
        return RegisterUserResponse(user_id=user.id)

    async def _require_administrator(self) -> int:
        """The administrator's id."""
        try:
            caller = await self._identify()
        except (AccessTokenMissing, AccessTokenExpired, AccessTokenInvalid):
            raise PrivilegedRoleNotAllowed from None
        if not caller.holds(Role.ADMIN):
            raise PrivilegedRoleNotAllowed
        await self._administrator_second_factor(caller.user_id)
        return caller.user_id
