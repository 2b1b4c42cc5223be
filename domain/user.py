"""The user account and what the rest of the system knows about a signed-in caller."""

from dataclasses import dataclass
from datetime import datetime

from domain.roles import Role, in_canonical_order
from domain.values import Email, PasswordHash, Username


@dataclass(frozen=True, slots=True)
class NewUser:
    """An account about to be stored; it has no id until the repository gives it one."""

    username: Username
    email: Email
    password_hash: PasswordHash
    roles: frozenset[Role]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: Username
    email: Email
    password_hash: PasswordHash
    roles: frozenset[Role]
    created_at: datetime | None = None
    disabled: bool = False
    """A disabled account cannot sign in and its tokens are refused; an administrator may enable
    it again."""
    email_verified: bool = False
    last_signin_at: datetime | None = None
    second_factor: bool = False
    """Whether a confirmed second factor (TOTP) guards the account: signin then takes a code
    after the password, and so do a password change and the account's deletion."""

    @property
    def ordered_roles(self) -> list[Role]:
        return in_canonical_order(self.roles)

    @property
    def is_enabled_administrator(self) -> bool:
        return self.holds_admin_role and not self.disabled

    @property
    def holds_admin_role(self) -> bool:
        return Role.ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a verified access token, with roles as the database holds them now."""

    user_id: int
    session_id: str
    roles: frozenset[Role]

    def holds(self, role: Role) -> bool:
        return role in self.roles
