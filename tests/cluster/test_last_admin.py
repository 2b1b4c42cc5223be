"""The last enabled administrator survives on a multi-primary cluster: two administrators removing
each other (demoting, disabling, deleting) at the same moment through two different servers, so
on two nodes, leave exactly one, on every node. Row locks do not cross nodes; the guard row both
changes write makes them conflict in certification, and the loser runs again and is refused.

Two kinds of rounds. In a natural one the two requests are simply sent at once; the later one
may then find the earlier one committed before it is even authorized (401 or 403, its session
or its role gone), and the race never reaches the guard. In a gated one, both are held at the
guard row: the test writes that row, uncommitted, on both nodes, waits until each server's
change waits for it, and lets go on both at once, so that both changes were authorized and run
side by side on two nodes: one 200, one 409, every time."""

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from testkit.cluster import DATABASE, Answer, AuthgateServer, signed_in, spread, tally
from testkit.galera import GaleraCluster
from tests.cluster.report import ClusterReport

pytestmark = pytest.mark.cluster

ADMIN = 3  # the admin role's id (domain.roles.Role.ADMIN)
LAST_ADMINISTRATOR = {"message": "The last administrator cannot be removed."}
# Seconds for both changes to reach the guard row: less than the servers' lock wait (half
# their DB_DEADLINE of 8), after which a change held there fails and runs again.
GATE_TIMEOUT = 3.0

Removal = Callable[[httpx.AsyncClient, dict[str, str], int], Awaitable[httpx.Response]]
Answers = list[tuple[Answer, httpx.Response | None]]


def _demote(
    client: httpx.AsyncClient, token: dict[str, str], user_id: int
) -> Awaitable[httpx.Response]:
    return client.put(f"/api/admin/users/{user_id}/roles", json={"roles": ["user"]}, headers=token)


def _disable(
    client: httpx.AsyncClient, token: dict[str, str], user_id: int
) -> Awaitable[httpx.Response]:
    return client.post(f"/api/admin/users/{user_id}/disable", headers=token)


def _delete(
    client: httpx.AsyncClient, token: dict[str, str], user_id: int
) -> Awaitable[httpx.Response]:
    return client.delete(f"/api/admin/users/{user_id}", headers=token)


REMOVALS: dict[str, Removal] = {"demote": _demote, "disable": _disable, "delete": _delete}
# What each of the two administrators does to the other: every removal against itself and
# against each other one.
PAIRS = [
    ("demote", "demote"),
    ("disable", "disable"),
    ("delete", "delete"),
    ("demote", "disable"),
    ("disable", "delete"),
    ("delete", "demote"),
]
# Every pair twice gated and once natural.
PLAN = [(pair, gated) for gated in (True, False, True) for pair in PAIRS]

_ENABLED_ADMINISTRATORS = (
    "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id "
    f"WHERE r.role_id = {ADMIN} AND NOT u.disabled ORDER BY u.id"
)
_HOLD_GUARD = text("UPDATE admin_guard SET generation = generation + 1 WHERE id = 1")
# A statement of another connection on the guard row: with the row held, it waits for it.
_WAITING = text(
    "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
    "WHERE ID != CONNECTION_ID() AND INFO LIKE 'UPDATE admin\\_guard %'"
)


def _enabled_administrators(galera: GaleraCluster, node: int) -> list[int]:
    """As this node sees them once it has caught up with the cluster (a causal read)."""
    rows = galera.nodes[node].sql(
        f"SET SESSION wsrep_sync_wait = 1; {_ENABLED_ADMINISTRATORS}", DATABASE
    )
    return [int(row[0]) for row in rows]


def _retried(servers: list[AuthgateServer]) -> int:
    return sum(server.conflicts_retried() for server in servers)


@pytest.fixture
async def engines(galera: GaleraCluster) -> AsyncIterator[list[AsyncEngine]]:
    """One per node, for the gate."""
    opened = [create_async_engine(node.url(DATABASE), poolclass=NullPool) for node in galera.nodes]
    yield opened
    for engine in opened:
        await engine.dispose()


async def _let_go(connection: AsyncConnection) -> None:
    # Once one node's hold is gone, its change may commit before this hold is; the cluster then
    # aborts this hold to apply that change here, and the rollback reports a deadlock.
    with contextlib.suppress(OperationalError):
        await connection.rollback()
    await connection.close()


async def _gated(holders: Sequence[AsyncEngine], race: Callable[[], Awaitable[Answers]]) -> Answers:
    """`race` with every change it makes held at the guard row until all of them wait there."""
    connections: list[AsyncConnection] = []
    reached = False
    try:
        for engine in holders:
            connection = await engine.connect()
            connections.append(connection)
            await connection.execute(_HOLD_GUARD)
        racing = asyncio.ensure_future(race())
        deadline = time.monotonic() + GATE_TIMEOUT
        while not racing.done() and time.monotonic() < deadline:
            waiting = [(await c.execute(_WAITING)).scalar_one() for c in connections]
            if all(waiting):
                reached = True
                break
            await asyncio.sleep(0.01)
    finally:
        await asyncio.gather(*(_let_go(connection) for connection in connections))
    answers = await racing
    assert reached, f"the changes did not both wait at the guard row: {tally(answers)}"
    return answers


def _removing_each_other(
    here: list[httpx.AsyncClient],
    removals: list[Removal],
    tokens: list[dict[str, str]],
    ids: list[int],
) -> Callable[[], Awaitable[Answers]]:
    """Administrator n removes the other one through `here[n]`, both at once."""

    def remove(client: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
        return removals[n](client, tokens[n], ids[1 - n])

    return lambda: spread(here, 2, remove)


async def test_two_administrators_removing_each_other_on_two_nodes_leave_one(
    clients: list[httpx.AsyncClient],
    servers: list[AuthgateServer],
    galera: GaleraCluster,
    engines: list[AsyncEngine],
    cluster_report: ClusterReport,
) -> None:
    retried_before = _retried(servers)
    tag = secrets.token_hex(3)
    answers: dict[bool, Answers] = {True: [], False: []}
    left = []
    for round_, (pair, gated) in enumerate(PLAN):
        # Administrator n works through server (round + n) modulo 3: two different nodes.
        nodes = [(round_ + n) % 3 for n in range(2)]
        here = [clients[node] for node in nodes]
        admins = [await signed_in(here[n], f"la{tag}{round_}{'ab'[n]}") for n in range(2)]
        ids = [int(admin["id"]) for admin in admins]
        tokens = [{"x-access-token": admin["accessToken"]} for admin in admins]
        # Exactly these two are the enabled administrators: whoever an earlier round left loses
        # the role, in the same transaction, on one node.
        galera.nodes[round_ % 3].sql(
            f"DELETE FROM user_roles WHERE role_id = {ADMIN}; "
            f"INSERT INTO user_roles (user_id, role_id) VALUES ({ids[0]}, {ADMIN}), "
            f"({ids[1]}, {ADMIN})",
            DATABASE,
        )
        assert [_enabled_administrators(galera, node) for node in range(3)] == [ids] * 3
        removals = [REMOVALS[name] for name in pair]

        race = _removing_each_other(here, removals, tokens, ids)

        round_answers = await (_gated([engines[n] for n in nodes], race) if gated else race())
        answers[gated] += round_answers
        statuses = [status for status, _ in round_answers]
        assert 200 in statuses, (pair, gated, statuses)
        (loser,) = [status for status in statuses if status != 200]
        # The loser was refused by the guard; or, in a natural round only, it came after the
        # winner's change had committed: its session ended (401) or its role went (403).
        assert loser in ({409} if gated else {409, 401, 403}), (pair, gated, statuses)
        for status, response in round_answers:
            if status == 409:
                assert response is not None
                assert response.json() == LAST_ADMINISTRATOR

        # The one whose removal went through is the one left, on every node...
        winner = statuses.index(200)
        seen = [_enabled_administrators(galera, node) for node in range(3)]
        left.append(len(seen[0]))
        assert seen == [[ids[winner]]] * 3
        # ...and every server lets them administer, and lists them alone.
        for client in clients:
            listed = await client.get(
                "/api/admin/users",
                params={"role": "admin", "disabled": "false"},
                headers=tokens[winner],
            )
            assert listed.status_code == 200
            assert [user["id"] for user in listed.json()["items"]] == [ids[winner]]

    cluster_report.add(
        f"last-admin guard: {len(PLAN)} rounds x 2 administrators removing each other at once "
        f"through two servers (demote/disable/delete, each pair): gated at the guard row "
        f"{tally(answers[True])}; natural {tally(answers[False])}; conflicts retried: "
        f"{_retried(servers) - retried_before}; enabled administrators left on every node "
        f"after each round: {tally(left)}"
    )
