from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from application.common.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    AccessTokenMissing,
    RoleRequired,
)
from application.ports.passwords import PasswordHasher
from application.sessions.sign_out import SignOutRequest
from application.shared.authorization import Resource
from domain.roles import Role
from tests.fakes import FakeClock
from tests.tokens import TEST_SECRET, Signer, claims_for, signed, unsigned, with_payload
from tests.unit.authgate import SETTINGS, Authgate


@pytest.fixture(params=["ES256", "HS256"])
async def authgate(
    request: pytest.FixtureRequest, clock: FakeClock, hasher: PasswordHasher
) -> AsyncIterator[Authgate]:
    """The rules below hold whichever algorithm signs."""
    settings = SETTINGS.replaced(jwt_algorithm=request.param)
    authgate = await Authgate.start(clock, hasher, settings=settings)
    yield authgate
    await authgate.close()


@pytest.fixture
async def alice_token(authgate: Authgate) -> str:
    return (await authgate.signed_in("alice")).access_token.value


@pytest.fixture
def alice_claims(authgate: Authgate, alice_token: str) -> dict[str, Any]:
    session = authgate.session_of(alice_token)
    return claims_for(session.user_id, session.id, authgate.clock.now())


async def test_signed_in_user_reaches_user_content_as_themselves(
    authgate: Authgate, alice_token: str
) -> None:
    principal = await authgate.access(alice_token, Resource.USER_CONTENT)
    session = authgate.session_of(alice_token)
    assert (principal.user_id, principal.session_id) == (session.user_id, session.id)
    assert principal.roles == {Role.USER}


@pytest.mark.parametrize("resource", list(Resource))
@pytest.mark.parametrize("token", [None, ""])
async def test_no_token_raises_access_token_missing(
    authgate: Authgate, resource: Resource, token: str | None
) -> None:
    with pytest.raises(AccessTokenMissing):
        await authgate.access(token, resource)


async def test_expired_token_of_a_live_session_raises_access_token_expired(
    authgate: Authgate, alice_token: str
) -> None:
    session = authgate.session_of(alice_token)
    expired = await authgate.tokens.issue(
        session.user_id, session.id, authgate.clock.now() - timedelta(hours=3)
    )
    with pytest.raises(AccessTokenExpired):
        await authgate.access(expired.value)


async def test_hand_crafted_token_with_the_right_key_and_claims_is_accepted(
    authgate: Authgate, alice_claims: dict[str, Any]
) -> None:
    """The control for the forgeries below: only the one defect makes them fail."""
    principal = await authgate.access(authgate.sign(alice_claims))
    assert principal.session_id == alice_claims["sid"]


Forgery = Callable[[dict[str, Any], Signer, Signer], str]
"""From the claims, the service's own way of signing, and the same with another key."""


def _without(claim: str) -> Forgery:
    return lambda claims, sign, _: sign({k: v for k, v in claims.items() if k != claim})


def _with(claim: str, value: object) -> Forgery:
    return lambda claims, sign, _: sign({**claims, claim: value})


FORGERIES: dict[str, Forgery] = {
    "another key or secret": lambda claims, _, forge: forge(claims),
    "alg none": lambda claims, *_: unsigned(claims),
    "alg none with a signature kept": lambda claims, sign, _: (
        unsigned(claims) + sign(claims).split(".")[2]
    ),
    "HS384 with the secret": lambda claims, *_: signed(claims, algorithm="HS384"),
    "HS512 with the secret": lambda claims, *_: signed(claims, algorithm="HS512"),
    "missing iss": _without("iss"),
    "missing aud": _without("aud"),
    "another issuer": _with("iss", "http://evil.example"),
    "another audience": _with("aud", "another-service"),
    "missing exp": _without("exp"),
    "missing sid": _without("sid"),
    "missing sub": _without("sub"),
    "missing iat": _without("iat"),
    "missing jti": _without("jti"),
    "integer sub": _with("sub", 1),
    "non-numeric sub": _with("sub", "alice"),
    "negative sub": _with("sub", "-1"),
    "huge sub": _with("sub", "9" * 5000),
    "integer sid": _with("sid", 12345),
    "null sid": _with("sid", None),
    "string exp": _with("exp", "tomorrow"),
    "garbage": lambda *_: "garbage",
    "three dots of garbage": lambda *_: "a.b.c",
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
async def test_forged_or_malformed_token_raises_access_token_invalid(
    authgate: Authgate, alice_claims: dict[str, Any], forge: Forgery
) -> None:
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(forge(alice_claims, authgate.sign, authgate.forge))


async def test_an_hs256_token_on_the_secret_is_refused_when_keys_sign(
    clock: FakeClock, hasher: PasswordHasher
) -> None:
    """ES256 by default: the secret that signed tokens before no longer makes one."""
    authgate = await Authgate.start(clock, hasher)
    try:
        token = (await authgate.signed_in("alice")).access_token.value
        session = authgate.session_of(token)
        with pytest.raises(AccessTokenInvalid):
            await authgate.access(signed(claims_for(session.user_id, session.id, clock.now())))
        assert TEST_SECRET not in token.encode()
    finally:
        await authgate.close()


async def test_token_with_a_tampered_payload_raises_access_token_invalid(
    authgate: Authgate, alice_token: str, alice_claims: dict[str, Any]
) -> None:
    bob = await authgate.signed_in("bob")
    bob_session = authgate.session_of(bob.access_token.value)
    tampered = with_payload(
        alice_token, {**alice_claims, "sub": str(bob_session.user_id), "sid": bob_session.id}
    )
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(tampered)


async def test_validly_signed_token_naming_another_users_session_raises_access_token_invalid(
    authgate: Authgate, alice_claims: dict[str, Any]
) -> None:
    bob = await authgate.signed_in("bob")
    bob_session = authgate.session_of(bob.access_token.value)
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(authgate.sign({**alice_claims, "sid": bob_session.id}))


async def test_token_of_a_deleted_user_raises_access_token_invalid(
    authgate: Authgate, alice_token: str
) -> None:
    authgate.storage.delete_user(authgate.session_of(alice_token).user_id)
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(alice_token)


async def test_token_of_a_signed_out_session_raises_access_token_invalid(
    authgate: Authgate, alice_token: str
) -> None:
    assert await authgate.sign_out.by(alice_token).execute(SignOutRequest())
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(alice_token)


async def test_token_of_a_session_past_its_absolute_lifetime_raises_access_token_invalid(
    authgate: Authgate, alice_token: str
) -> None:
    authgate.clock.advance(authgate.policy.session_lifetime)
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(alice_token)


async def test_token_of_a_purged_session_raises_access_token_invalid(
    authgate: Authgate, alice_token: str
) -> None:
    authgate.storage.delete_session(authgate.session_of(alice_token).id)
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(alice_token)


@pytest.mark.parametrize(
    ("roles", "resource", "required"),
    [
        ({Role.USER}, Resource.MODERATOR_CONTENT, Role.MODERATOR),
        ({Role.USER}, Resource.ADMIN_CONTENT, Role.ADMIN),
        ({Role.USER, Role.ADMIN}, Resource.MODERATOR_CONTENT, Role.MODERATOR),
        ({Role.ADMIN}, Resource.MODERATOR_CONTENT, Role.MODERATOR),
        ({Role.USER, Role.MODERATOR}, Resource.ADMIN_CONTENT, Role.ADMIN),
    ],
)
async def test_resource_refuses_a_caller_without_its_role_naming_the_role(
    authgate: Authgate, roles: set[Role], resource: Resource, required: Role
) -> None:
    signed_in = await authgate.signed_in("carol", roles=roles)
    with pytest.raises(RoleRequired) as refused:
        await authgate.access(signed_in.access_token.value, resource)
    assert refused.value.role is required


@pytest.mark.parametrize(
    ("roles", "resource"),
    [
        ({Role.USER}, Resource.USER_CONTENT),
        ({Role.MODERATOR}, Resource.USER_CONTENT),
        ({Role.USER, Role.MODERATOR}, Resource.MODERATOR_CONTENT),
        ({Role.MODERATOR}, Resource.MODERATOR_CONTENT),
        ({Role.USER, Role.ADMIN}, Resource.ADMIN_CONTENT),
        ({Role.USER, Role.MODERATOR, Role.ADMIN}, Resource.MODERATOR_CONTENT),
    ],
)
async def test_resource_admits_a_caller_holding_its_role(
    authgate: Authgate, roles: set[Role], resource: Resource
) -> None:
    signed_in = await authgate.signed_in("carol", roles=roles)
    principal = await authgate.access(signed_in.access_token.value, resource)
    assert principal.roles == roles


async def test_role_taken_away_in_storage_takes_effect_at_once(authgate: Authgate) -> None:
    signed_in = await authgate.signed_in("boss", roles={Role.USER, Role.ADMIN})
    token = signed_in.access_token.value
    await authgate.access(token, Resource.ADMIN_CONTENT)

    authgate.set_roles(signed_in.user.id, {Role.USER})

    with pytest.raises(RoleRequired):
        await authgate.access(token, Resource.ADMIN_CONTENT)
    await authgate.access(token, Resource.USER_CONTENT)


async def test_role_granted_in_storage_takes_effect_at_once(
    authgate: Authgate, alice_token: str
) -> None:
    with pytest.raises(RoleRequired):
        await authgate.access(alice_token, Resource.MODERATOR_CONTENT)
    authgate.set_roles(authgate.session_of(alice_token).user_id, {Role.USER, Role.MODERATOR})
    await authgate.access(alice_token, Resource.MODERATOR_CONTENT)


async def test_role_check_comes_after_the_token_check(authgate: Authgate) -> None:
    signed_in = await authgate.signed_in("boss", roles={Role.ADMIN})
    await authgate.sign_out.by(signed_in.access_token.value).execute(SignOutRequest())
    with pytest.raises(AccessTokenInvalid):
        await authgate.access(signed_in.access_token.value, Resource.ADMIN_CONTENT)
