"""Key changes under concurrency, decided by the database: servers starting together make one
first key, and servers (or a server's schedule and the command line) rotating at once leave
exactly one `next` key. Each "server" is a production container of its own on the one database;
30 rounds on SQLite and on MySQL."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from dishka import AsyncContainer, Scope

from application.keys.list_signing_keys import ListSigningKeys
from application.keys.rotate_signing_key import RotateSigningKey
from application.ports.caller import Caller
from application.shared.identify_caller import OPERATOR
from domain.signing_keys import KeyState, NextKeyWaiting
from entrypoints.ioc import build_container
from entrypoints.settings import Settings
from tests.fakes import ClockProvider, FakeClock
from tests.storages import SQL_STORAGES

pytestmark = pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)

ROUNDS = 30
SERVERS = 4


@pytest.fixture
async def servers(settings: Settings, clock: FakeClock) -> AsyncIterator[list[AsyncContainer]]:
    containers = [build_container(settings, ClockProvider(clock)) for _ in range(SERVERS)]
    yield containers
    for container in containers:
        await container.close()


async def _in_request(container: AsyncContainer, work: str) -> object:
    async with container(scope=Scope.REQUEST, context={Caller: OPERATOR}) as request:
        use_case = await request.get(RotateSigningKey)
        if work == "first":
            return await use_case.first()
        if work == "due":
            return await use_case.if_due()
        try:
            return await use_case.execute()
        except NextKeyWaiting as waiting:
            return waiting


async def _states(container: AsyncContainer) -> list[KeyState]:
    async with container(scope=Scope.REQUEST, context={Caller: OPERATOR}) as request:
        return [k.state for k in await (await request.get(ListSigningKeys)).execute()]


async def test_servers_starting_together_make_one_first_key(
    servers: list[AsyncContainer],
) -> None:
    seen = await asyncio.gather(*(_in_request(s, "first") for s in servers))

    assert await _states(servers[0]) == [KeyState.CURRENT]
    kids = {tuple(stored.key.kid for stored in keys) for keys in seen}  # type: ignore[attr-defined]
    assert len(kids) == 1


@pytest.mark.parametrize("settings_overrides", [{"key_rotation_days": 1}])
async def test_concurrent_rotations_leave_exactly_one_next_key(
    servers: list[AsyncContainer], clock: FakeClock
) -> None:
    await _in_request(servers[0], "first")
    for _ in range(ROUNDS):
        clock.advance(timedelta(days=1))  # the schedule is due, on every server at once
        kinds = ["rotate", "rotate", "due", "due"]
        results = await asyncio.gather(
            *(_in_request(server, kind) for server, kind in zip(servers, kinds, strict=True))
        )

        made = [r for r in results if r is not None and not isinstance(r, NextKeyWaiting)]
        assert len(made) == 1, results
        states = await _states(servers[0])
        assert states.count(KeyState.NEXT) == 1
        assert states.count(KeyState.CURRENT) == 1
        clock.advance(timedelta(seconds=600))  # the next key signs; the old one is previous
