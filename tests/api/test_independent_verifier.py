"""A verifier that is not ours: Node's built-in `crypto` (tests/verifiers/verify_es256.mjs)
checks Authgate's tokens offline from the published key set alone, as another service would,
before, across and after a rotation. Skipped without `node`, except under CI."""

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from application.keys.revoke_signing_key import RevokeSigningKey
from application.keys.rotate_signing_key import RotateSigningKey
from tests.api.test_keys import key_set, kid_of, operator
from tests.service import Service
from tests.tokens import AUDIENCE, ISSUER

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VERIFIER = Path(__file__).parents[1] / "verifiers" / "verify_es256.mjs"
NODE = shutil.which("node")
if NODE is None and os.environ.get("CI") != "true":
    pytest.skip("node is not installed", allow_module_level=True)


def node_verdicts(jwks: dict[str, Any], tokens: list[str], service: Service) -> list[Any]:
    assert NODE is not None, "CI needs node for the independent verifier"
    request = {
        "jwks": jwks,
        "tokens": tokens,
        "now": int(service.clock.now().timestamp()),
        "issuer": ISSUER,
        "audience": AUDIENCE,
    }
    done = subprocess.run(  # noqa: S603 - our own script, our own input
        [NODE, str(VERIFIER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    verdicts: list[Any] = json.loads(done.stdout)
    return verdicts


async def test_node_verifies_every_token_through_a_rotation_from_the_key_set_alone(
    service: Service,
) -> None:
    before = (await service.signed_in("alice"))["accessToken"]
    cached = await key_set(service)  # what a verifier fetched before the rotation

    new = (await operator(service, RotateSigningKey)).kid
    refetched = await key_set(service)  # within JWKS_MAX_AGE of the rotation
    service.clock.advance(timedelta(seconds=600))
    after = (await service.signed_in("bob"))["accessToken"]

    # The cache from before the rotation was stale once the new key signed: a verifier that
    # refetched when its max-age ran out holds the new key before any token carries it.
    assert kid_of(after) == new
    assert [v.get("refused") for v in node_verdicts(cached, [before, after], service)] == [
        None,
        "unknown kid",
    ]
    verdicts = node_verdicts(refetched, [before, after], service)
    assert [v["kid"] for v in verdicts] == [kid_of(before), new]
    assert [v["claims"]["sub"] for v in verdicts] == [
        str(await service.backdoor.user_id(name)) for name in ("alice", "bob")
    ]
    assert node_verdicts(await key_set(service), [before, after], service) == verdicts


async def test_node_refuses_tampered_tokens_and_what_offline_verification_cannot_see(
    service: Service,
) -> None:
    token = (await service.signed_in("alice"))["accessToken"]
    head, _, signature = token.split(".")
    other = (await service.signed_in("bob"))["accessToken"].split(".")[1]
    jwks = await key_set(service)

    [tampered] = node_verdicts(jwks, [f"{head}.{other}.{signature}"], service)
    assert tampered == {"refused": "bad signature"}

    # Signed out: the service refuses it at once; offline, it verifies until its exp.
    await service.client.post("/api/auth/signout", headers={"x-access-token": token})
    assert (await service.get("/api/test/user", token)).status_code == 401
    [offline] = node_verdicts(jwks, [token], service)
    assert "claims" in offline

    # Its key revoked (after a rotation): gone from the key set, refused by a fresh fetch.
    await operator(service, RotateSigningKey)
    await operator(service, RevokeSigningKey, kid_of(token))
    assert node_verdicts(await key_set(service), [token], service) == [{"refused": "unknown kid"}]
