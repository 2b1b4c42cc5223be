from collections.abc import Sequence
from dataclasses import dataclass, field

from application.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    AccessTokenMissing,
    PrivilegedRoleNotAllowed,
)
from application.identify_caller import IdentifyCaller
from application.ports import PasswordHasher, UnitOfWork, UserRepository
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


@dataclass(frozen=True, slots=True)
class RegisterUserResponse:
    user_id: int


class RegisterUser:
    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        identify: IdentifyCaller,
        uow: UnitOfWork,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._identify = identify
        self._uow = uow

    async def execute(self, request: RegisterUserRequest) -> RegisterUserResponse:
        username = Username(request.username)
        email = Email(request.email)
        password = RawPassword(request.password)
        roles = roles_from_names(request.roles)
        if roles & PRIVILEGED_ROLES:
            await self._require_administrator(request.access_token)
        user = await create_user(self._users, self._hasher, username, email, password, roles)
        await self._uow.commit()
        return RegisterUserResponse(user_id=user.id)

    async def _require_administrator(self, access_token: str | None) -> None:
        try:
            caller = await self._identify(access_token)
        except (AccessTokenMissing, AccessTokenExpired, AccessTokenInvalid):
            raise PrivilegedRoleNotAllowed from None
        if not caller.holds(Role.ADMIN):
            raise PrivilegedRoleNotAllowed


async def create_user(
    users: UserRepository,
    hasher: PasswordHasher,
    username: Username,
    email: Email,
    password: RawPassword,
    roles: frozenset[Role],
) -> User:
    """Stores a new account, not committed. Shared by signup and the create-admin command."""
    # A cheap look-up first spares a bcrypt hash on the common duplicate; the unique indexes
    # behind `add` still decide a race between two signups.
    username_taken, email_taken = await users.find_taken(username, email)
    if username_taken:
        raise UsernameAlreadyExists
    if email_taken:
        raise EmailAlreadyExists
    password_hash = await hasher.hash(password)
    return await users.add(NewUser(username, email, password_hash, roles))
