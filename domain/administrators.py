"""The rule that keeps the service administrable: at least one enabled administrator remains.

Whether another one remains is a question only storage can answer under concurrent changes (two
administrators demoting each other at once); the model says which changes need the answer."""

from dataclasses import dataclass

from domain.roles import Role
from domain.user import User


@dataclass(frozen=True, slots=True)
class AccountChange:
    """What a change does to an account: new roles, disabling, or deleting it."""

    roles: frozenset[Role] | None = None
    disable: bool = False
    delete: bool = False

    def removes_an_administrator(self, user: User) -> bool:
        """True when `user` counts as an enabled administrator now and would not afterwards; such
        a change is allowed only while another enabled administrator exists."""
        if not user.is_enabled_administrator:
            return False
        if self.delete or self.disable:
            return True
        return self.roles is not None and Role.ADMIN not in self.roles
