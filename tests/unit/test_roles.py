import pytest

from domain.errors import UnknownRole
from domain.roles import Role, in_canonical_order, roles_from_names
from domain.user import User
from domain.values import Email, PasswordHash, Username


@pytest.mark.parametrize(
    ("name", "role", "seeded_id"),
    [("user", Role.USER, 1), ("moderator", Role.MODERATOR, 2), ("admin", Role.ADMIN, 3)],
)
def test_role_from_name_finds_each_seeded_role_with_its_id(
    name: str, role: Role, seeded_id: int
) -> None:
    assert Role.from_name(name) is role
    assert role.value == seeded_id
    assert role.role_name == name


@pytest.mark.parametrize("name", ["superuser", "Admin", "ADMIN", "", " user", "ROLE_USER"])
def test_role_from_unknown_name_raises_unknown_role_naming_it(name: str) -> None:
    with pytest.raises(UnknownRole) as refused:
        Role.from_name(name)
    assert refused.value.name == name
    assert str(refused.value) == f"Role does not exist = {name}"


def test_no_requested_roles_give_only_the_user_role() -> None:
    assert roles_from_names(None) == {Role.USER}


def test_empty_requested_roles_give_only_the_user_role() -> None:
    assert roles_from_names([]) == {Role.USER}


def test_requested_roles_are_granted_exactly_without_implying_others() -> None:
    assert roles_from_names(["admin"]) == {Role.ADMIN}
    assert roles_from_names(["moderator", "user", "moderator"]) == {Role.MODERATOR, Role.USER}


def test_one_unknown_role_among_known_ones_raises_unknown_role_with_its_name() -> None:
    with pytest.raises(UnknownRole) as refused:
        roles_from_names(["user", "root", "admin"])
    assert refused.value.name == "root"


def test_canonical_role_order_is_user_moderator_admin() -> None:
    roles = [Role.ADMIN, Role.USER, Role.MODERATOR, Role.ADMIN]
    assert in_canonical_order(roles) == [Role.USER, Role.MODERATOR, Role.ADMIN]


def test_user_lists_its_roles_in_canonical_order_with_client_spelling() -> None:
    user = User(
        id=1,
        username=Username("alice"),
        email=Email("alice@example.com"),
        password_hash=PasswordHash("$2b$04$hash"),
        roles=frozenset({Role.ADMIN, Role.USER}),
    )
    assert [role.authority for role in user.ordered_roles] == ["ROLE_USER", "ROLE_ADMIN"]
