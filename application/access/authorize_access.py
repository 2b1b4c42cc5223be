"""Whether a caller may see a resource: the token, the database as it is now, and the role."""

from dataclasses import dataclass

from application.shared.authorization import Resource, require
from application.shared.identify_caller import IdentifyCaller
from domain.user import Principal


@dataclass(frozen=True, slots=True)
class AuthorizeAccessRequest:
    access_token: str | None
    resource: Resource


class AuthorizeAccess:
    def __init__(self, identify: IdentifyCaller) -> None:
        self._identify = identify

    async def execute(self, request: AuthorizeAccessRequest) -> Principal:
        return require(await self._identify(request.access_token), request.resource)
