"""The last enabled administrator survives concurrent removals: two administrators demoting,
disabling or deleting each other at the same moment leave exactly one. Decided by the database
(the guard row every such change writes first, then a conditional write on it), on each SQL
storage, through the production container."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import pytest
from dishka import AsyncContainer, Scope

from application.admin.create_administrator import CreateAdministrator, CreateAdministratorRequest
from application.admin.delete_user import DeleteUser
from application.admin.disable_user import DisableUser
from application.admin.list_users import ListUsers, ListUsersRequest
from application.admin.set_user_roles import SetUserRoles, SetUserRolesRequest
from application.common.client import Client
from application.ports.caller import Caller
from application.shared.identify_caller import OPERATOR, KnownCaller
from domain.errors import LastAdministrator
from entrypoints.ioc import build_container
from entrypoints.settings import Settings
from tests.storages import SQL_STORAGES

pytestmark = pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)

ROUNDS = 30
_T = TypeVar("_T")
Removal = Callable[[AsyncContainer, int], Awaitable[object]]


async def _demote(container: AsyncContainer, user_id: int) -> object:
    use_case = await container.get(SetUserRoles)
    return await use_case.execute(SetUserRolesRequest(user_id, ["user"]))


async def _disable(container: AsyncContainer, user_id: int) -> object:
    return await (await container.get(DisableUser)).execute(user_id)


async def _delete(container: AsyncContainer, user_id: int) -> object:
    await (await container.get(DeleteUser)).execute(user_id)
    return user_id


REMOVALS: list[Removal] = [_demote, _disable, _delete]


def _demoted(user_id: int) -> Callable[[AsyncContainer], Awaitable[object]]:
    return lambda request_container: _demote(request_container, user_id)


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[AsyncContainer]:
    container = build_container(settings)
    yield container
    await container.close()


async def _in_request(
    container: AsyncContainer,
    work: Callable[[AsyncContainer], Awaitable[_T]],
    caller: Caller = OPERATOR,
) -> _T:
    async with container(scope=Scope.REQUEST, context={Caller: caller}) as request_container:
        return await work(request_container)


async def _new_administrator(container: AsyncContainer, name: str) -> int:
    async def create(request_container: AsyncContainer) -> int:
        use_case = await request_container.get(CreateAdministrator)
        request = CreateAdministratorRequest(name, f"{name}@example.com", "long enough secret")
        return await use_case.execute(request)

    return await _in_request(container, create)


async def _enabled_administrators(container: AsyncContainer) -> list[int]:
    async def listed(request_container: AsyncContainer) -> list[int]:
        use_case = await request_container.get(ListUsers)
        page = await use_case.execute(ListUsersRequest(role="admin", disabled=False, limit=200))
        return [user.id for user in page.items]

    return await _in_request(container, listed)


async def test_two_administrators_removing_each_other_at_once_leave_exactly_one(
    container: AsyncContainer,
) -> None:
    outcomes: dict[str, int] = {"removed": 0, "refused": 0}
    for number in range(ROUNDS):
        first = await _new_administrator(container, f"first{number}")
        second = await _new_administrator(container, f"second{number}")
        for earlier in await _enabled_administrators(container):
            if earlier not in (first, second):
                await _in_request(container, _demoted(earlier))
        removal = REMOVALS[number % len(REMOVALS)]

        def by(actor: int, target: int, removal: Removal = removal) -> Awaitable[object]:
            # Two operators at two machines: who may administer is not what races here.
            caller = KnownCaller(Client(f"10.0.0.{actor % 250}"), is_operator=True)
            return _in_request(container, lambda c: removal(c, target), caller)

        results = await asyncio.gather(by(first, second), by(second, first), return_exceptions=True)

        refused = [r for r in results if isinstance(r, LastAdministrator)]
        unexpected = [r for r in results if isinstance(r, BaseException) and r not in refused]
        assert not unexpected, unexpected
        assert len(refused) == 1, f"round {number} ({removal.__name__}): {results}"
        assert len(await _enabled_administrators(container)) == 1
        outcomes["removed"] += 1
        outcomes["refused"] += 1
    assert outcomes == {"removed": ROUNDS, "refused": ROUNDS}
