"""Who may administer accounts: a signed-in administrator over HTTP, or an operator at the
command line, for whom access to the machine and its database is the authority."""

from dataclasses import dataclass

from application.common.client import Client
from application.shared.administrator_second_factor import RequireAdministratorSecondFactor
from application.shared.authorization import Resource
from application.shared.identify_caller import IdentifyCaller


@dataclass(frozen=True, slots=True)
class Administrator:
    """The actor of an administrative use case; obtained only through `AuthorizeAdministrator`,
    which every administrative use case asks first."""

    user_id: int | None
    """None for the operator."""
    client: Client


class AuthorizeAdministrator:
    def __init__(
        self, identify: IdentifyCaller, second_factor: RequireAdministratorSecondFactor
    ) -> None:
        self._identify = identify
        self._second_factor = second_factor

    async def __call__(self) -> Administrator:
        """Raises AccessTokenMissing, AccessTokenExpired, AccessTokenInvalid or RoleRequired;
        AdministratorSecondFactorRequired under REQUIRE_ADMIN_MFA."""
        client = self._identify.client
        if self._identify.is_operator:
            return Administrator(user_id=None, client=client)
        principal = await self._identify.authorize(Resource.USER_ADMINISTRATION)
        await self._second_factor(principal.user_id)
        return Administrator(user_id=principal.user_id, client=client)
