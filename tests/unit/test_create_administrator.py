import pytest

from application.admin.create_administrator import CreateAdministratorRequest
from application.common.errors import RoleRequired
from application.shared.authorization import Resource
from domain.errors import InvalidField, UsernameAlreadyExists
from domain.roles import Role
from tests.unit.authgate import PASSWORD, Authgate


async def create_admin(authgate: Authgate, username: str = "root", password: str = PASSWORD) -> int:
    request = CreateAdministratorRequest(username, f"{username}@example.com", password)
    return await authgate.create_administrator.execute(request)


async def test_create_administrator_creates_a_user_holding_user_and_admin(
    authgate: Authgate,
) -> None:
    user_id = await create_admin(authgate)
    assert authgate.user(user_id).roles == {Role.USER, Role.ADMIN}
    assert authgate.uow.commits == 1


async def test_administrator_reaches_admin_content_but_not_moderator_content(
    authgate: Authgate,
) -> None:
    await create_admin(authgate)
    token = (await authgate.signin("root")).access_token.value
    await authgate.access(token, Resource.ADMIN_CONTENT)
    with pytest.raises(RoleRequired):
        await authgate.access(token, Resource.MODERATOR_CONTENT)


async def test_administrator_can_sign_up_a_moderator(authgate: Authgate) -> None:
    await create_admin(authgate)
    token = (await authgate.signin("root")).access_token.value
    user_id = await authgate.signup("mod", roles=["user", "moderator"], access_token=token)
    assert authgate.user(user_id).roles == {Role.USER, Role.MODERATOR}


async def test_create_administrator_with_a_taken_username_raises_and_creates_nothing(
    authgate: Authgate,
) -> None:
    await authgate.signup("root", email="someone@example.com")
    with pytest.raises(UsernameAlreadyExists):
        await create_admin(authgate, "ROOT")
    assert len(authgate.storage.users) == 1


@pytest.mark.parametrize(
    ("field", "username", "password"), [("username", "r", PASSWORD), ("password", "root", "short")]
)
async def test_create_administrator_with_an_invalid_field_raises_invalid_field(
    authgate: Authgate, field: str, username: str, password: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        await create_admin(authgate, username, password)
    assert refused.value.field == field
    assert not authgate.storage.users
