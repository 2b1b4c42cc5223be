"""The signin limits hold across servers: failed signins for one account, spread over the
servers, are refused (429) from the configured count on, not from count x servers; with the
tallies in the database (the default), over the three Galera nodes, and in Redis (REDIS_URL),
shared by two servers.

Three ways of spreading them: one at a time, round robin; in waves of one request per server at
once; and in one burst of many at once. Each gets the limit exactly: an attempt reserves its
place before its password is checked, in one atomic step committed at once (README "Races"), so
attempts at the same moment on different servers are admitted one after another, and the
reservations of one tally from three nodes that conflict in certification run again on the
count the other committed. Never a 5xx.

A fourth spread signs in to one account one attempt at a time, each from an address of its
own: the limit on the account from all addresses holds across servers too.

The attempts come from addresses of their own, through X-Forwarded-For (the servers trust
loopback as their proxy), so no earlier check's tally on loopback's address counts, and the
Redis keys written are known and removed afterwards."""

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from redis import Redis
from redis.exceptions import RedisError

from adapters.redis.attempts import KEY_PREFIX
from application.shared.rate_limits import attempt
from domain.attempts import Limit
from testkit.cluster import (
    DATABASE,
    PASSWORD,
    Answer,
    AuthgateServer,
    answer_of,
    authgate_servers,
    signup_body,
    spread,
    tally,
)
from testkit.galera import GaleraCluster
from tests.cluster.conftest import CLIENT_TIMEOUT, SERVER_SETTINGS
from tests.cluster.report import ClusterReport

pytestmark = pytest.mark.cluster

LIMIT = 4  # failures per account and address
ACCOUNT_LIMIT = 2 * LIMIT  # failures per account, from all addresses
BURST = 24
SETTINGS = {
    **SERVER_SETTINGS,
    "RATE_LIMITS": "on",
    "SIGNIN_ACCOUNT_ADDRESS_LIMIT": str(LIMIT),
    "SIGNIN_ACCOUNT_LIMIT": str(ACCOUNT_LIMIT),
    # Out of the way: the checks sign in from a handful of addresses only.
    "SIGNIN_ADDRESS_LIMIT": "10000",
    "TRUSTED_PROXIES": "127.0.0.1/32",
}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOO_MANY = "Too many attempts. Try again in"
# The key names a limit's tallies; how many attempts it allows does not enter the key.
_ACCOUNT_ADDRESS = Limit("signin_account_address", LIMIT, timedelta(seconds=1))
_ADDRESS = Limit("signin_address", LIMIT, timedelta(seconds=1))
_ACCOUNT = Limit("signin_account", LIMIT, timedelta(seconds=1))

Tallied = Callable[[str], list[int]]
"""The account's account+address tally, as each store holding it sees it."""


@pytest.fixture(scope="module")
def addresses() -> list[str]:
    """Where this run's attempts come from, as the servers see it: the first address, and one
    more for each attempt of the spread over many addresses."""
    network = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    return [f"{network}.{1 + n}" for n in range(1 + ACCOUNT_LIMIT + 3)]


@pytest.fixture
def database_limited(
    galera: GaleraCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[AuthgateServer]]:
    """One server per node, its limits on, the tallies in the cluster's database."""
    with authgate_servers(galera.nodes, tmp_path_factory.mktemp("limited"), **SETTINGS) as servers:
        yield servers


@pytest.fixture(scope="module")
def redis() -> Iterator[Redis]:
    client: Redis = Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError as error:
        client.close()
        reason = f"no Redis answers at {REDIS_URL} ({type(error).__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"the Redis cluster check must run under CI: {reason}", pytrace=False)
        pytest.skip(f"the Redis cluster check skipped: {reason}")
    yield client
    client.close()


@pytest.fixture
def redis_limited(
    redis: Redis, galera: GaleraCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[AuthgateServer]]:
    """Two servers, on nodes 1 and 2, their tallies in one Redis (which answers, or the check
    was skipped before they started)."""
    with authgate_servers(
        galera.nodes[:2], tmp_path_factory.mktemp("redis"), **SETTINGS, REDIS_URL=REDIS_URL
    ) as servers:
        yield servers


@contextlib.asynccontextmanager
async def _clients(
    servers: list[AuthgateServer], address: str
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """A client per server, its requests from `address` unless one says otherwise."""
    opened = [
        httpx.AsyncClient(
            base_url=server.base_url,
            timeout=CLIENT_TIMEOUT,
            headers={"x-forwarded-for": address},
        )
        for server in servers
    ]
    try:
        yield opened
    finally:
        for client in opened:
            await client.aclose()


def _retried(servers: list[AuthgateServer]) -> int:
    return sum(server.conflicts_retried() for server in servers)


async def _fail(
    client: httpx.AsyncClient, username: str, address: str | None = None
) -> httpx.Response:
    return await client.post(
        "/api/auth/signin",
        json={"username": username, "password": f"not {PASSWORD}"},
        headers={} if address is None else {"x-forwarded-for": address},
    )


def _statuses(answers: list[tuple[Answer, httpx.Response | None]]) -> list[Answer]:
    for status, response in answers:
        if status == 429:
            assert response is not None
            assert response.json()["message"].startswith(TOO_MANY)
            assert int(response.headers["retry-after"]) > 0
    return [status for status, _ in answers]


def _accounts(tag: str) -> tuple[str, str, str, str]:
    """The accounts of the four spreads."""
    return f"lo{tag}", f"lw{tag}", f"lb{tag}", f"lm{tag}"


async def _check_limits(
    kind: str,
    clients: list[httpx.AsyncClient],
    unlimited: httpx.AsyncClient,
    tag: str,
    addresses: list[str],
    tallied: Tallied,
) -> str:
    """Runs the four spreads, each on an account of its own; the report's line."""
    servers = len(clients)
    one_by_one, in_waves, burst, many = _accounts(tag)

    # One at a time, round robin.
    signup = await unlimited.post("/api/auth/signup", json=signup_body(one_by_one))
    assert signup.status_code == 200, signup.text
    answers = [
        await answer_of(_fail(clients[n % servers], one_by_one)) for n in range(LIMIT + 2 * servers)
    ]
    in_turn = _statuses(answers)
    assert in_turn == [401] * LIMIT + [429] * (2 * servers)
    # The right password is refused too while the lock holds.
    right = {"username": one_by_one, "password": PASSWORD}
    locked = [await answer_of(client.post("/api/auth/signin", json=right)) for client in clients]
    assert _statuses(locked) == [429] * servers
    assert set(tallied(one_by_one)) == {LIMIT}

    # In waves of one request per server at once, until a whole wave is refused.
    waves: list[Answer] = []
    while len(waves) < 3 * LIMIT * servers:
        wave = _statuses(await spread(clients, servers, lambda c, _n: _fail(c, in_waves)))
        waves += wave
        if wave == [429] * servers:
            break
    went_ahead = waves.count(401)
    assert set(waves) == {401, 429}
    assert went_ahead == LIMIT, waves
    assert set(tallied(in_waves)) == {LIMIT}

    # One burst of many at once.
    all_at_once = _statuses(await spread(clients, BURST, lambda c, _n: _fail(c, burst)))
    assert set(all_at_once) <= {401, 429}, all_at_once
    # Exactly the limit went ahead, each counted; the refused ones counted nowhere.
    counted = all_at_once.count(401)
    assert counted == LIMIT, all_at_once
    assert set(tallied(burst)) == {LIMIT}
    after = _statuses([await answer_of(_fail(client, burst)) for client in clients])
    assert after == [429] * servers

    # One at a time, each from an address of its own: the limit on the account from all of them.
    spread_out = _statuses(
        [
            await answer_of(_fail(clients[n % servers], many, addresses[1 + n]))
            for n in range(ACCOUNT_LIMIT + servers)
        ]
    )
    assert spread_out == [401] * ACCOUNT_LIMIT + [429] * servers

    return (
        f"shared limits, {kind}: limit {LIMIT} failures per account and address, over "
        f"{servers} servers: one at a time {tally(in_turn)} (429 from attempt "
        f"{in_turn.index(429) + 1}), then the right password {tally(locked)}; in waves of "
        f"{servers} at once {tally(waves)}; a burst of {BURST} at once {tally(all_at_once)}, "
        f"counted {tallied(burst)}, then {tally(after)}; limit {ACCOUNT_LIMIT} per account, "
        f"one at a time from as many addresses {tally(spread_out)} (429 from attempt "
        f"{spread_out.index(429) + 1})"
    )


async def test_signin_limits_hold_across_servers_sharing_the_cluster_database(
    database_limited: list[AuthgateServer],
    clients: list[httpx.AsyncClient],
    galera: GaleraCluster,
    addresses: list[str],
    cluster_report: ClusterReport,
) -> None:
    def tallied(username: str) -> list[int]:
        """On every node, once it has caught up with the cluster."""
        key = attempt(_ACCOUNT_ADDRESS, username, addresses[0]).key
        query = f"SELECT attempts FROM attempt_counters WHERE counter_key = '{key}'"
        return [
            int(node.sql(f"SET SESSION wsrep_sync_wait = 1; {query}", DATABASE)[0][0])
            for node in galera.nodes
        ]

    retried_before = _retried(database_limited)
    tag = secrets.token_hex(3)
    async with _clients(database_limited, addresses[0]) as limited:
        line = await _check_limits("database", limited, clients[0], tag, addresses, tallied)
    cluster_report.add(
        f"{line}; tallies on nodes 1-3; conflicts retried: "
        f"{_retried(database_limited) - retried_before}"
    )


async def test_signin_limits_hold_across_servers_sharing_one_redis(
    redis: Redis,
    redis_limited: list[AuthgateServer],
    clients: list[httpx.AsyncClient],
    addresses: list[str],
    cluster_report: ClusterReport,
) -> None:
    def tallied(username: str) -> list[int]:
        key = KEY_PREFIX + attempt(_ACCOUNT_ADDRESS, username, addresses[0]).key
        return [int(redis.hget(key, "attempts") or 0)]

    tag = secrets.token_hex(3)
    try:
        async with _clients(redis_limited, addresses[0]) as limited:
            line = await _check_limits("Redis", limited, clients[0], tag, addresses, tallied)
    finally:
        # Every tally these attempts can have made, and no other.
        accounts = _accounts(tag)
        redis.delete(
            *(KEY_PREFIX + attempt(_ADDRESS, address).key for address in addresses),
            *(KEY_PREFIX + attempt(_ACCOUNT, account).key for account in accounts),
            *(
                KEY_PREFIX + attempt(_ACCOUNT_ADDRESS, account, address).key
                for account in accounts
                for address in addresses
            ),
        )
    cluster_report.add(f"{line}; tally in Redis ({REDIS_URL})")
