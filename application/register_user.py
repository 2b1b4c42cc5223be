from collections.abc import Sequence
from dataclasses import dataclass, field

from application.audit_log import AuditLog
from application.client import UNKNOWN_CLIENT, Client
from application.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    AccessTokenMissing,
    PrivilegedRoleNotAllowed,
)
from application.identify_caller import IdentifyCaller
from application.ports import Clock, PasswordHasher, UserRepository
from application.transactions import Transactions
from domain.audit import AuditEventType
from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.roles import PRIVILEGED_ROLES, Role, roles_from_names
from domain.user import NewUser, User
from domain.values import Email, RawPassword, Username


@dataclass(frozen=True, slots=True)
class RegisterUserRequest:
    username: str
    email: str
    password: str = field(repr=False)
    roles: Sequence[str] | None = None
    access_token: str | None = field(default=None, repr=False)
    """The caller's token; only an administrator's lets a signup ask for privileged roles."""
    client: Client = UNKNOWN_CLIENT


@dataclass(frozen=True, slots=True)
class RegisterUserResponse:
    user_id: int


class RegisterUser:
    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        identify: IdentifyCaller,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._identify = identify
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: RegisterUserRequest) -> RegisterUserResponse:
        username = Username(request.username)
        email = Email(request.email)
        password = RawPassword(request.password)
        roles = roles_from_names(request.roles)
        actor_id = None
        if roles & PRIVILEGED_ROLES:
            actor_id = await self._require_administrator(request.access_token)
        account = NewAccount(username, email, roles)
        user = await create_user(
            self._users,
            self._hasher,
            self._clock,
            self._transactions,
            account,
            password,
            Signup(self._audit, request.client, actor_id),
        )
        return RegisterUserResponse(user_id=user.id)

    async def _require_administrator(self, access_token: str | None) -> int:
        """The administrator's id."""
        try:
            caller = await self._identify(access_token)
        except (AccessTokenMissing, AccessTokenExpired, AccessTokenInvalid):
            raise PrivilegedRoleNotAllowed from None
        if not caller.holds(Role.ADMIN):
            raise PrivilegedRoleNotAllowed
        return caller.user_id


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: Username
    email: Email
    roles: frozenset[Role]


@dataclass(frozen=True, slots=True)
class Signup:
    """Where the audit trail records a new account, and who made it (None: the user or an
    operator)."""

    audit: AuditLog
    client: Client
    actor_id: int | None

    async def record(self, user: User) -> None:
        await self.audit.record(
            AuditEventType.SIGNUP,
            self.client,
            user_id=user.id,
            actor_id=self.actor_id,
            detail={"roles": [role.role_name for role in user.ordered_roles]},
        )


async def create_user(
    users: UserRepository,
    hasher: PasswordHasher,
    clock: Clock,
    transactions: Transactions,
    account: NewAccount,
    password: RawPassword,
    signup: Signup,
) -> User:
    """Stores and commits a new account. Shared by signup and the create-admin command."""
    # A cheap look-up first spares a bcrypt hash on the common duplicate; the unique indexes
    # behind `add` still decide a race between two signups.
    username_taken, email_taken = await users.find_taken(account.username, account.email)
    if username_taken:
        raise UsernameAlreadyExists
    if email_taken:
        raise EmailAlreadyExists
    password_hash = await hasher.hash(password)
    new_user = NewUser(
        account.username, account.email, password_hash, account.roles, created_at=clock.now()
    )

    async def add() -> User:
        user = await users.add(new_user)
        await signup.record(user)
        return user

    return await transactions.run(add)
