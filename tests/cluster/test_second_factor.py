"""A second-factor code works once across the nodes of a multi-primary Galera cluster: one
code sent at the same moment to the three servers, each on its own node, signs in exactly once,
whichever node certifies first; the others are refused (401), never a 5xx."""

import secrets
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest

from domain.second_factor import step_start, time_step
from testkit.cluster import PASSWORD, AuthgateServer, signed_in, spread, tally
from tests.cluster.report import ClusterReport

pytestmark = pytest.mark.cluster

CONCURRENT = 50
ROUNDS = 3


def _code(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator shows now (the servers run on the wall clock)."""
    return pyotp.TOTP(secret).at(step_start(time_step(datetime.now(UTC)) + steps_ahead))


def _retried(servers: list[AuthgateServer]) -> int:
    return sum(server.conflicts_retried() for server in servers)


async def _enrolled(clients: list[httpx.AsyncClient]) -> tuple[str, str, list[str]]:
    """A user with two-factor on, enrolled through the first server: name, secret, codes."""
    name = f"mfa{secrets.token_hex(3)}"
    signin = await signed_in(clients[0], name)
    headers = {"x-access-token": signin["accessToken"]}
    enrolment = await clients[0].post(
        "/api/user/mfa/totp", json={"password": PASSWORD}, headers=headers
    )
    assert enrolment.status_code == 200, enrolment.text
    secret: str = enrolment.json()["secret"]
    confirmed = await clients[0].post(
        "/api/user/mfa/totp/confirm", json={"code": _code(secret)}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return name, secret, confirmed.json()["recoveryCodes"]


async def _mfa_tokens(clients: list[httpx.AsyncClient], name: str) -> list[str]:
    """One password step per concurrent request to come, spread over the servers."""
    tokens: list[str] = []
    for n in range(CONCURRENT):
        answer = await clients[n % len(clients)].post(
            "/api/auth/signin", json={"username": name, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        tokens.append(answer.json()["mfaToken"])
    return tokens


@pytest.mark.parametrize("kind", ["totp", "recovery_code"])
async def test_one_code_sent_to_every_node_at_once_signs_in_once(
    kind: str,
    clients: list[httpx.AsyncClient],
    servers: list[AuthgateServer],
    cluster_report: ClusterReport,
) -> None:
    retried_before = _retried(servers)
    answers = []
    for _ in range(ROUNDS):
        name, secret, recovery_codes = await _enrolled(clients)
        tokens = await _mfa_tokens(clients, name)
        # The next step's code: the confirming code used up the current one, and it stays in
        # the accepted window even if the clock moves on a step meanwhile.
        body: dict[str, Any] = (
            {"code": _code(secret, 1)} if kind == "totp" else {"recoveryCode": recovery_codes[0]}
        )

        def second_step(
            client: httpx.AsyncClient, n: int, tokens: list[str] = tokens, body: Any = body
        ) -> Any:
            return client.post("/api/auth/signin/mfa", json={"mfaToken": tokens[n], **body})

        round_answers = await spread(clients, CONCURRENT, second_step)

        answers += round_answers
        statuses = sorted(str(status) for status, _ in round_answers)
        assert statuses == ["200"] + ["401"] * (CONCURRENT - 1)
    cluster_report.add(
        f"second factor ({kind}): {ROUNDS} rounds x {CONCURRENT} concurrent uses of one code "
        f"over 3 servers on 3 nodes: {tally(answers)} (one 200 a round); conflicts retried: "
        f"{_retried(servers) - retried_before}"
    )
