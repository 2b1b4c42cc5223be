"""The only way to the first administrator: an operator on the command line, never HTTP."""

from dataclasses import dataclass, field

from application.common.client import UNKNOWN_CLIENT
from application.ports.clock import Clock
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.new_accounts import NewAccount, Signup, create_user
from application.shared.passwords import refuse_common
from application.shared.transactions import Transactions
from domain.roles import Role
from domain.values import Email, RawPassword, Username


@dataclass(frozen=True, slots=True)
class CreateAdministratorRequest:
    username: str
    email: str
    password: str = field(repr=False)


class CreateAdministrator:
    ROLES = frozenset({Role.USER, Role.ADMIN})

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        clock: Clock,
        transactions: Transactions,
        common_passwords: CommonPasswords,
        audit: AuditLog,
    ) -> None:
        self._common_passwords = common_passwords
        self._users = users
        self._hasher = hasher
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: CreateAdministratorRequest) -> int:
        account = NewAccount(Username(request.username), Email(request.email), self.ROLES)
        password = RawPassword(request.password)
        refuse_common(password, self._common_passwords)
        user = await create_user(
            self._users,
            self._hasher,
            self._clock,
            self._transactions,
            account,
            password,
            Signup(self._audit, UNKNOWN_CLIENT, actor_id=None),
        )
        return user.id
