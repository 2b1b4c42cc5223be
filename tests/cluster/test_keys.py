"""Signing keys across the nodes: the three servers, started together, made one first key; a
rotation on one node is published by every server with its next answer and signs everywhere
only after JWKS_MAX_AGE; every token issued anywhere verifies on every server through it; a key
revoked on one node is refused by every server's next request."""

import asyncio
import subprocess
import time
from typing import Any

import httpx
import jwt
import pytest

from testkit.cluster import AuthgateServer, signed_in
from testkit.servers import AUTHGATE, PROJECT_ROOT
from tests.cluster.conftest import SERVER_SETTINGS
from tests.cluster.report import ClusterReport

pytestmark = pytest.mark.cluster

MAX_AGE = float(SERVER_SETTINGS["JWKS_MAX_AGE"])


def keys_command(server: AuthgateServer, *arguments: str) -> str:
    """`authgate keys ...` on the machine of `server`, against its node."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [*AUTHGATE, "keys", *arguments],
        env=server.env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


async def published(clients: list[httpx.AsyncClient]) -> list[list[str]]:
    answers = await asyncio.gather(*(c.get("/.well-known/jwks.json") for c in clients))
    return [[key["kid"] for key in answer.json()["keys"]] for answer in answers]


def kid_of(body: dict[str, Any]) -> str:
    return str(jwt.get_unverified_header(body["accessToken"])["kid"])


async def statuses(clients: list[httpx.AsyncClient], tokens: list[str]) -> list[int]:
    answers = await asyncio.gather(
        *(
            client.get("/api/test/user", headers={"x-access-token": token})
            for client in clients
            for token in tokens
        )
    )
    return [answer.status_code for answer in answers]


async def test_a_rotation_and_a_revocation_hold_on_every_node(
    clients: list[httpx.AsyncClient],
    servers: list[AuthgateServer],
    cluster_report: ClusterReport,
) -> None:
    first_sets = await published(clients)
    assert first_sets[0] == first_sets[1] == first_sets[2]
    tag = str(time.monotonic_ns())[-6:]
    before = [await signed_in(c, f"kb{tag}{n}") for n, c in enumerate(clients)]
    [old] = {kid_of(body) for body in before}

    rotated = keys_command(servers[0], "rotate")
    new = rotated.split()[1]
    at_once = await published(clients)
    during = [await signed_in(c, f"kd{tag}{n}") for n, c in enumerate(clients)]
    await asyncio.sleep(MAX_AGE + 1.2)  # the switch, and each server's next read of the keys
    after = [await signed_in(c, f"ka{tag}{n}") for n, c in enumerate(clients)]

    assert all(kids[:2] == [new, old] for kids in at_once), at_once
    assert {kid_of(body) for body in during} == {old}
    assert {kid_of(body) for body in after} == {new}
    tokens = [body["accessToken"] for body in before + during + after]
    through_rotation = await statuses(clients, tokens)
    assert set(through_rotation) == {200}

    keys_command(servers[1], "revoke", old)
    old_tokens = [body["accessToken"] for body in before + during]
    refused = await statuses(clients, old_tokens)
    kept = await statuses(clients, [body["accessToken"] for body in after])
    after_revoke = await published(clients)

    assert set(refused) == {401}
    assert set(kept) == {200}
    assert all(old not in kids for kids in after_revoke)
    cluster_report.add(
        f"keys: first key made once by 3 servers started together ({len(first_sets[0])} "
        f"published everywhere); rotated on node 1: new key published by all 3 servers with "
        f"their next answer, signing everywhere after JWKS_MAX_AGE={MAX_AGE:g} s; "
        f"{len(tokens)} tokens x 3 servers verified through it ({len(through_rotation)} x 200); "
        f"old key revoked on node 2: {len(refused)} checks of its tokens on 3 servers all 401 at "
        f"once, {len(kept)} of the new key's all 200"
    )
