import asyncio
from datetime import timedelta

import pytest

from application.common.errors import (
    ApplicationError,
    PrivilegedRoleNotAllowed,
)
from domain.errors import EmailAlreadyExists, InvalidField, UnknownRole, UsernameAlreadyExists
from domain.roles import Role
from tests.unit.authgate import PASSWORD, Authgate


async def admin_token(authgate: Authgate) -> str:
    signed_in = await authgate.signed_in("boss", roles={Role.USER, Role.ADMIN})
    return signed_in.access_token.value


async def test_signup_without_roles_gets_only_user_role(authgate: Authgate) -> None:
    user_id = await authgate.signup("alice")
    assert authgate.user(user_id).roles == {Role.USER}


async def test_signup_with_empty_roles_gets_only_user_role(authgate: Authgate) -> None:
    user_id = await authgate.signup("alice", roles=[])
    assert authgate.user(user_id).roles == {Role.USER}


async def test_signup_stores_username_email_and_a_bcrypt_hash_of_the_password(
    authgate: Authgate,
) -> None:
    user_id = await authgate.signup("Alice", email="Alice@Example.com")
    user = authgate.user(user_id)
    assert (user.username.value, user.email.value) == ("Alice", "Alice@Example.com")
    assert user.password_hash.value.startswith("$2b$04$")
    assert PASSWORD not in user.password_hash.value
    assert await authgate.hasher.verify(PASSWORD, user.password_hash)


async def test_signup_commits_the_unit_of_work(authgate: Authgate) -> None:
    await authgate.signup("alice")
    assert authgate.uow.commits == 1


async def test_signups_get_distinct_ids(authgate: Authgate) -> None:
    assert await authgate.signup("alice") != await authgate.signup("bob")


@pytest.mark.parametrize("taken", ["alice", "ALICE", "aLiCe"])
async def test_signup_with_a_username_taken_in_any_case_raises_username_already_exists(
    authgate: Authgate, taken: str
) -> None:
    await authgate.signup("Alice", email="first@example.com")
    with pytest.raises(UsernameAlreadyExists):
        await authgate.signup(taken, email="second@example.com")
    assert len(authgate.storage.users) == 1
    assert authgate.uow.commits == 1


@pytest.mark.parametrize("taken", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@example.Com"])
async def test_signup_with_an_email_taken_in_any_case_raises_email_already_exists(
    authgate: Authgate, taken: str
) -> None:
    await authgate.signup("alice", email="alice@example.com")
    with pytest.raises(EmailAlreadyExists):
        await authgate.signup("bob", email=taken)
    assert len(authgate.storage.users) == 1
    assert authgate.uow.commits == 1


async def test_two_concurrent_identical_signups_create_one_user(authgate: Authgate) -> None:
    outcomes = await asyncio.gather(
        authgate.signup("alice"), authgate.signup("alice"), return_exceptions=True
    )
    assert sum(isinstance(outcome, int) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, UsernameAlreadyExists) for outcome in outcomes) == 1
    assert len(authgate.storage.users) == 1


@pytest.mark.parametrize("roles", [["moderator"], ["admin"], ["user", "admin"]])
async def test_signup_asking_for_a_privileged_role_without_token_is_refused_and_creates_nothing(
    authgate: Authgate, roles: list[str]
) -> None:
    with pytest.raises(PrivilegedRoleNotAllowed):
        await authgate.signup("mallory", roles=roles)
    assert not authgate.storage.users
    assert authgate.uow.commits == 0


@pytest.mark.parametrize("caller_roles", [{Role.USER}, {Role.USER, Role.MODERATOR}])
@pytest.mark.parametrize("roles", [["moderator"], ["admin"]])
async def test_signup_asking_for_a_privileged_role_with_a_non_admin_token_is_refused(
    authgate: Authgate, caller_roles: set[Role], roles: list[str]
) -> None:
    caller = await authgate.signed_in("carol", roles=caller_roles)
    with pytest.raises(PrivilegedRoleNotAllowed):
        await authgate.signup("mallory", roles=roles, access_token=caller.access_token.value)
    assert [user.username.value for user in authgate.storage.users.values()] == ["carol"]


async def test_signup_asking_for_admin_with_the_token_of_a_demoted_admin_is_refused(
    authgate: Authgate,
) -> None:
    token = await admin_token(authgate)
    authgate.set_roles(authgate.session_of(token).user_id, {Role.USER})
    with pytest.raises(PrivilegedRoleNotAllowed):
        await authgate.signup("mallory", roles=["admin"], access_token=token)


@pytest.mark.parametrize(
    ("roles", "granted"),
    [
        (["moderator"], {Role.MODERATOR}),
        (["admin"], {Role.ADMIN}),
        (["user", "moderator", "admin"], {Role.USER, Role.MODERATOR, Role.ADMIN}),
    ],
)
async def test_signup_asking_for_privileged_roles_with_an_admin_token_grants_them(
    authgate: Authgate, roles: list[str], granted: set[Role]
) -> None:
    token = await admin_token(authgate)
    user_id = await authgate.signup("mod", roles=roles, access_token=token)
    assert authgate.user(user_id).roles == granted


async def test_signup_asking_for_privileged_role_with_a_bad_token_creates_nothing(
    authgate: Authgate,
) -> None:
    with pytest.raises(ApplicationError):
        await authgate.signup("mallory", roles=["admin"], access_token="not-a-token")
    assert not authgate.storage.users


async def test_signup_asking_for_privileged_role_with_an_invalid_token_is_not_allowed(
    authgate: Authgate,
) -> None:
    with pytest.raises(PrivilegedRoleNotAllowed):
        await authgate.signup("mallory", roles=["admin"], access_token="not-a-token")


async def test_signup_asking_only_for_user_role_ignores_whatever_token_comes_along(
    authgate: Authgate,
) -> None:
    user_id = await authgate.signup("alice", roles=["user"], access_token="not-a-token")
    assert authgate.user(user_id).roles == {Role.USER}


async def test_signup_asking_for_an_unknown_role_raises_unknown_role_and_creates_nothing(
    authgate: Authgate,
) -> None:
    with pytest.raises(UnknownRole) as refused:
        await authgate.signup("alice", roles=["user", "superuser"])
    assert refused.value.name == "superuser"
    assert not authgate.storage.users


async def test_signup_asking_for_an_unknown_role_with_admin_token_still_raises_unknown_role(
    authgate: Authgate,
) -> None:
    token = await admin_token(authgate)
    with pytest.raises(UnknownRole):
        await authgate.signup("alice", roles=["admin", "root"], access_token=token)
    assert len(authgate.storage.users) == 1


@pytest.mark.parametrize(
    ("field", "username", "email", "password"),
    [
        ("username", "ab", "ab@example.com", PASSWORD),
        ("username", "bad name", "bad@example.com", PASSWORD),
        ("username", "x" * 21, "long@example.com", PASSWORD),
        ("email", "alice", "not-an-email", PASSWORD),
        ("email", "alice", "a" * 250 + "@example.com", PASSWORD),
        ("password", "alice", "alice@example.com", "short"),
        ("password", "alice", "alice@example.com", "é" * 37),
    ],
)
async def test_signup_with_an_invalid_field_raises_invalid_field_naming_it_and_creates_nothing(
    authgate: Authgate, field: str, username: str, email: str, password: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        await authgate.signup(username, email=email, password=password)
    assert refused.value.field == field
    assert not authgate.storage.users
    assert authgate.uow.commits == 0


async def test_signed_up_user_can_sign_in(authgate: Authgate) -> None:
    user_id = await authgate.signup("alice")
    assert (await authgate.signin("alice")).user.id == user_id


async def test_signup_accepts_a_72_byte_password_that_then_signs_in(authgate: Authgate) -> None:
    password = "é" * 36
    await authgate.signup("alice", password=password)
    signed_in = await authgate.signin("alice", password)
    assert signed_in.user.username.value == "alice"


async def test_signup_with_an_expired_admin_token_creates_nothing(authgate: Authgate) -> None:
    token = await admin_token(authgate)
    session = authgate.session_of(token)
    expired = await authgate.tokens.issue(
        session.user_id, session.id, authgate.clock.now() - timedelta(hours=3)
    )
    with pytest.raises(ApplicationError):
        await authgate.signup("mallory", roles=["admin"], access_token=expired.value)
    assert len(authgate.storage.users) == 1
