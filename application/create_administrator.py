"""The only way to the first administrator: an operator on the command line, never HTTP."""

from dataclasses import dataclass, field

from application.ports import PasswordHasher, UnitOfWork, UserRepository
from application.register_user import create_user
from domain.roles import Role
from domain.values import Email, RawPassword, Username


@dataclass(frozen=True, slots=True)
class CreateAdministratorRequest:
    username: str
    email: str
    password: str = field(repr=False)


class CreateAdministrator:
    ROLES = frozenset({Role.USER, Role.ADMIN})

    def __init__(self, users: UserRepository, hasher: PasswordHasher, uow: UnitOfWork) -> None:
        self._users = users
        self._hasher = hasher
        self._uow = uow

    async def execute(self, request: CreateAdministratorRequest) -> int:
        user = await create_user(
            self._users,
            self._hasher,
            Username(request.username),
            Email(request.email),
            RawPassword(request.password),
            self.ROLES,
        )
        await self._uow.commit()
        return user.id
