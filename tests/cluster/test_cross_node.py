"""The service's decisions hold across the nodes of a multi-primary Galera cluster, with one
Authgate server per node: what certifies decides, certification failures are retried (never a
5xx), and what one node revoked is refused by the very next request on any other."""

import secrets
from typing import Any

import httpx
import pytest

from testkit.cluster import (
    DATABASE,
    AuthgateServer,
    answer_of,
    signed_in,
    signup_body,
    spread,
    tally,
)
from testkit.galera import GaleraCluster
from tests.cluster.report import ClusterReport

pytestmark = pytest.mark.cluster

ROUNDS = 20
PER_ROUND = 6  # two per server


def _retried(servers: list[AuthgateServer]) -> int:
    return sum(server.conflicts_retried() for server in servers)


def _causal_reads(cluster: GaleraCluster) -> list[int]:
    """Reads each node made wait for it to catch up (DB_CAUSAL_READS), since it started."""
    return [int(node.status("wsrep_causal_reads") or 0) for node in cluster.nodes]


def _count(cluster: GaleraCluster, node: int, query: str) -> int:
    return int(cluster.nodes[node].sql(query, DATABASE)[0][0])


@pytest.mark.parametrize("contested", ["username", "email"])
async def test_concurrent_signups_of_one_name_across_nodes_make_one_user(
    contested: str,
    clients: list[httpx.AsyncClient],
    servers: list[AuthgateServer],
    galera: GaleraCluster,
    cluster_report: ClusterReport,
) -> None:
    retried_before = _retried(servers)
    tag = secrets.token_hex(3)
    answers = []
    for round_ in range(ROUNDS):
        name = f"su{tag}{round_}"

        def body(n: int, name: str = name) -> dict[str, str]:
            if contested == "username":
                return signup_body(name, f"{name}.{n}@example.com")
            return signup_body(f"{name}x{n}", f"{name}@example.com")

        round_answers = await spread(
            clients, PER_ROUND, lambda client, n: client.post("/api/auth/signup", json=body(n))
        )
        answers += round_answers
        assert sorted(status for status, _ in round_answers) == [200] + [400] * (PER_ROUND - 1)
    # Every node holds one user per contested name.
    users = [
        _count(galera, node, f"SELECT COUNT(*) FROM users WHERE username_key LIKE 'su{tag}%'")
        for node in range(3)
    ]
    cluster_report.add(
        f"signup race by {contested}: {ROUNDS} rounds x {PER_ROUND} concurrent signups over "
        f"3 servers: {tally(answers)}; conflicts retried: {_retried(servers) - retried_before}; "
        f"users made: {users} on nodes 1-3 (one per round)"
    )
    assert users == [ROUNDS] * 3


async def test_concurrent_refreshes_of_one_token_across_nodes_leave_one_live_token(
    clients: list[httpx.AsyncClient],
    servers: list[AuthgateServer],
    galera: GaleraCluster,
    cluster_report: ClusterReport,
) -> None:
    retried_before = _retried(servers)
    tag = secrets.token_hex(3)
    answers = []
    live_after: list[int] = []
    for round_ in range(ROUNDS):
        username = f"rf{tag}{round_}"
        user = await signed_in(clients[round_ % 3], username)
        body = {"refreshToken": user["refreshToken"]}

        def refresh(client: httpx.AsyncClient, _n: int, body: dict[str, str] = body) -> Any:
            return client.post("/api/auth/refreshtoken", json=body)

        round_answers = await spread(clients, PER_ROUND, refresh)
        answers += round_answers
        assert [status for status, _ in round_answers] == [200] * PER_ROUND
        successors = {response.json()["refreshToken"] for _, response in round_answers if response}
        assert len(successors) == 1
        live_after.append(
            _count(
                galera,
                (round_ + 1) % 3,
                "SELECT COUNT(*) FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id "
                f"JOIN users u ON u.id = s.user_id WHERE u.username_key = '{username}' "
                "AND t.rotated_at IS NULL",
            )
        )
        follow_up, _ = await answer_of(
            clients[(round_ + 2) % 3].post(
                "/api/auth/refreshtoken", json={"refreshToken": successors.pop()}
            )
        )
        assert follow_up == 200
    cluster_report.add(
        f"refresh race: {ROUNDS} rounds x {PER_ROUND} concurrent refreshes of one token over "
        f"3 servers: {tally(answers)}; conflicts retried: {_retried(servers) - retried_before}; "
        f"one successor per round; live refresh tokens after each "
        f"round: {tally(live_after)}"
    )
    assert live_after == [1] * ROUNDS


async def test_a_signout_on_one_node_is_refused_on_the_others_at_once(
    clients: list[httpx.AsyncClient], galera: GaleraCluster, cluster_report: ClusterReport
) -> None:
    causal_before = _causal_reads(galera)
    tag = secrets.token_hex(3)
    reads_before, reads_after, refreshes_after = [], [], []
    for round_ in range(ROUNDS):
        here, others = clients[round_ % 3], [c for n, c in enumerate(clients) if n != round_ % 3]
        user = await signed_in(here, f"so{tag}{round_}")
        token = {"x-access-token": user["accessToken"]}
        reads_before += [await answer_of(c.get("/api/test/user", headers=token)) for c in others]
        signout = await here.post("/api/auth/signout", headers=token)
        assert signout.status_code == 200
        for other in others:
            reads_after.append(await answer_of(other.get("/api/test/user", headers=token)))
        refreshes_after.append(
            await answer_of(
                others[0].post(
                    "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
                )
            )
        )
    causal_made = [b - a for a, b in zip(causal_before, _causal_reads(galera), strict=True)]
    cluster_report.add(
        f"sign-out on one node, then at once on the two others ({ROUNDS} rounds): reads before "
        f"{tally(reads_before)}; reads after {tally(reads_after)}; refreshes after "
        f"{tally(refreshes_after)}; causal reads per node (wsrep_causal_reads): "
        f"{causal_made}"
    )
    assert {status for status, _ in reads_before} == {200}
    assert {status for status, _ in reads_after} == {401}
    assert {status for status, _ in refreshes_after} == {403}
    assert all(made > 0 for made in causal_made)


async def test_a_role_change_on_one_node_is_enforced_on_the_others_at_once(
    clients: list[httpx.AsyncClient], galera: GaleraCluster, cluster_report: ClusterReport
) -> None:
    """Roles are changed in the database, on one node (the admin API is another branch's)."""
    username = f"rc{secrets.token_hex(3)}"
    user = await signed_in(clients[0], username)
    user_id = int(user["id"])
    token = {"x-access-token": user["accessToken"]}
    taken, granted = [], []
    for round_ in range(ROUNDS):
        node = round_ % 3
        others = [c for n, c in enumerate(clients) if n != node]
        galera.nodes[node].sql(
            f"INSERT INTO user_roles (user_id, role_id) VALUES ({user_id}, 3)", DATABASE
        )
        granted += [await answer_of(c.get("/api/test/admin", headers=token)) for c in others]
        galera.nodes[node].sql(
            f"DELETE FROM user_roles WHERE user_id = {user_id} AND role_id = 3", DATABASE
        )
        taken += [await answer_of(c.get("/api/test/admin", headers=token)) for c in others]
    cluster_report.add(
        f"admin role granted, then taken away, on one node; /api/test/admin at once on the two "
        f"others ({ROUNDS} rounds): after the grant {tally(granted)}; after the removal "
        f"{tally(taken)}"
    )
    assert {status for status, _ in granted} == {200}
    assert {status for status, _ in taken} == {403}
