"""Whether the caller may see a resource: the token, the database as it is now, and the role."""

from application.shared.authorization import Resource
from application.shared.identify_caller import IdentifyCaller
from domain.user import Principal


class AuthorizeAccess:
    def __init__(self, identify: IdentifyCaller) -> None:
        self._identify = identify

    async def execute(self, resource: Resource) -> Principal:
        return await self._identify.authorize(resource)
