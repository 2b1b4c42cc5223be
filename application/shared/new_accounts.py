"""Making a new account: shared by signup and the create-admin command."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from application.common.client import Client
from application.ports.clock import Clock
from application.ports.passwords import PasswordHasher
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.roles import Role
from domain.user import NewUser, User
from domain.values import Email, RawPassword, Username


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
    after_insert: Callable[[User], Awaitable[None]] | None = None,
) -> User:
    """Stores and commits a new account, with whatever `after_insert` writes in the same
    transaction. Shared by signup and the create-admin command."""
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
        if after_insert is not None:
            await after_insert(user)
        return user

    return await transactions.run(add)
