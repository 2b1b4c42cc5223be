"""Every rule of account management, on in-memory storage through the production container.

Self-contained (no conftest fixtures), so that it also runs with `--noconftest`."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from dishka import AsyncContainer, Scope

from adapters.memory import InMemoryStorage
from application.accounts.change_password import ChangePassword, ChangePasswordRequest
from application.accounts.delete_own_account import DeleteOwnAccount, DeleteOwnAccountRequest
from application.accounts.register_user import RegisterUser, RegisterUserRequest
from application.admin.authorize_administrator import AuthorizeAdministrator
from application.admin.create_administrator import CreateAdministrator, CreateAdministratorRequest
from application.admin.delete_user import DeleteUser
from application.admin.disable_user import DisableUser
from application.admin.enable_user import EnableUser
from application.admin.list_users import ListUsers, ListUsersRequest
from application.admin.read_audit_trail import ReadAuditTrail, ReadAuditTrailRequest
from application.admin.set_user_roles import SetUserRoles, SetUserRolesRequest
from application.common.client import Client
from application.common.errors import (
    AccessTokenInvalid,
    AccountDisabled,
    CurrentPasswordIncorrect,
    InvalidCredentials,
    RoleRequired,
    SessionNotFound,
    UserNotFound,
)
from application.common.pages import cursor_id, page_of, page_size
from application.ports.caller import Caller
from application.ports.metrics import Metrics
from application.sessions.authenticate_user import AuthenticateUser, AuthenticateUserRequest
from application.sessions.end_own_session import EndOwnSession, EndOwnSessionRequest
from application.sessions.list_own_sessions import ListOwnSessions
from application.shared.identify_caller import OPERATOR, KnownCaller
from domain.administrators import AccountChange
from domain.audit import AuditEvent, AuditEventType
from domain.errors import InvalidField, LastAdministrator, UnknownRole
from domain.roles import Role, roles_to_assign
from domain.session import Session
from domain.user import User
from domain.values import Email, PasswordHash, Username
from entrypoints.ioc import build_container
from entrypoints.settings import MEMORY_DATABASE_URL, Settings
from tests.fakes import ClockProvider, CountingMetrics, CountingMetricsProvider, FakeClock

PASSWORD = "correct horse battery"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
_T = TypeVar("_T")


def _user(roles: set[Role], *, disabled: bool = False) -> User:
    return User(
        1,
        Username("alice"),
        Email("a@example.com"),
        PasswordHash("x"),
        frozenset(roles),
        disabled=disabled,
    )


# --- the model ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "disabled", "change", "removes"),
    [
        ({Role.ADMIN}, False, AccountChange(roles=frozenset({Role.USER})), True),
        ({Role.ADMIN}, False, AccountChange(roles=frozenset({Role.ADMIN})), False),
        ({Role.ADMIN}, False, AccountChange(disable=True), True),
        ({Role.ADMIN}, False, AccountChange(delete=True), True),
        ({Role.ADMIN}, False, AccountChange(), False),
        ({Role.ADMIN}, True, AccountChange(delete=True), False),  # disabled: not counted
        ({Role.USER}, False, AccountChange(delete=True), False),
        ({Role.MODERATOR}, False, AccountChange(disable=True), False),
    ],
)
def test_which_changes_take_an_administrator_away(
    roles: set[Role], disabled: bool, change: AccountChange, removes: bool
) -> None:
    assert change.removes_an_administrator(_user(roles, disabled=disabled)) is removes


def test_roles_are_assigned_exactly_as_named_and_at_least_one() -> None:
    assert roles_to_assign(["moderator", "moderator"]) == {Role.MODERATOR}
    with pytest.raises(InvalidField, match="at least one role"):
        roles_to_assign([])
    with pytest.raises(UnknownRole):
        roles_to_assign(["user", "root"])


@pytest.mark.parametrize("key", ["password", "newPassword", "refreshToken", "hash", "Secret"])
def test_an_audit_event_refuses_a_detail_that_names_a_secret(key: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        AuditEvent(AuditEventType.SIGNUP, NOW, 1, 1, "::1", "", {key: "x"})


def test_an_unknown_audit_type_is_a_field_error() -> None:
    with pytest.raises(InvalidField, match="type"):
        AuditEventType.from_name("user.create")


def test_a_new_session_records_its_origin_and_counts_as_used() -> None:
    session = Session.begin(1, NOW, timedelta(days=1), user_agent="curl/8", ip="192.0.2.1")

    assert (session.user_agent, session.ip, session.last_used_at) == ("curl/8", "192.0.2.1", NOW)


def test_page_sizes_and_cursors() -> None:
    assert page_size(None) == 50
    for bad in (0, 201):
        with pytest.raises(InvalidField, match="limit"):
            page_size(bad)
    assert cursor_id(None) is None
    assert cursor_id("42") == 42
    for bad_cursor in ("-1", "x", "1" * 19):
        with pytest.raises(InvalidField, match="cursor"):
            cursor_id(bad_cursor)
    assert page_of([1, 2, 3], 2, lambda n: n).next_cursor == "2"
    assert page_of([1, 2], 2, lambda n: n).next_cursor is None


# --- the use cases, on memory storage --------------------------------------------------------


class Authgate:
    def __init__(self, container: AsyncContainer, clock: FakeClock) -> None:
        self.container = container
        self.clock = clock

    async def run(
        self, kind: type[_T], work: Callable[[_T], Awaitable[Any]], caller: Caller = OPERATOR
    ) -> Any:
        """`work` on the use case in a request scope of its own, by the operator unless a test
        names another caller."""
        context = {Caller: caller}
        async with self.container(scope=Scope.REQUEST, context=context) as request_container:
            return await work(await request_container.get(kind))

    async def signup(self, name: str, roles: list[str] | None = None) -> int:
        if roles and "admin" in roles:
            request = CreateAdministratorRequest(name, f"{name}@example.com", PASSWORD)
            user_id: int = await self.run(CreateAdministrator, lambda u: u.execute(request))
            return user_id
        register = RegisterUserRequest(name, f"{name}@example.com", PASSWORD)
        response = await self.run(RegisterUser, lambda u: u.execute(register))
        return int(response.user_id)

    async def signin(self, name: str, password: str = PASSWORD) -> str:
        request = AuthenticateUserRequest(name, password)
        caller = KnownCaller(Client("192.0.2.9", "test"))
        response = await self.run(AuthenticateUser, lambda u: u.execute(request), caller)
        token: str = response.access_token.value
        return token

    async def metrics(self) -> CountingMetrics:
        metrics = await self.container.get(Metrics)
        assert isinstance(metrics, CountingMetrics)
        return metrics

    async def events(self, kind: str | None = None) -> list[AuditEvent]:
        request = ReadAuditTrailRequest(type=kind, limit=200)
        page = await self.run(ReadAuditTrail, lambda u: u.execute(request))
        events: list[AuditEvent] = page.items
        return events


@pytest.fixture
async def authgate(tmp_path: Path) -> AsyncIterator[Authgate]:
    settings = Settings.of(
        database_url=MEMORY_DATABASE_URL,
        jwt_secret=b"a unit test secret long enough for HS256 keys!",
        data_dir=tmp_path,
        bcrypt_cost=4,
        bcrypt_threads=1,
        session_purge_interval=0,
    )
    clock = FakeClock(NOW)
    container = build_container(settings, ClockProvider(clock), CountingMetricsProvider())
    yield Authgate(container, clock)
    await container.close()


async def test_the_last_enabled_administrator_cannot_be_removed(authgate: Authgate) -> None:
    root = await authgate.signup("root", ["admin"])
    demote = SetUserRolesRequest(root, ["user"])

    with pytest.raises(LastAdministrator):
        await authgate.run(SetUserRoles, lambda u: u.execute(demote))
    with pytest.raises(LastAdministrator):
        await authgate.run(DisableUser, lambda u: u.execute(root))
    with pytest.raises(LastAdministrator):
        await authgate.run(DeleteUser, lambda u: u.execute(root))
    assert await authgate.events("roles.change") == []


async def test_a_disabled_administrator_does_not_count(authgate: Authgate) -> None:
    root = await authgate.signup("root", ["admin"])
    other = await authgate.signup("other", ["admin"])
    await authgate.run(DisableUser, lambda u: u.execute(other))

    with pytest.raises(LastAdministrator):
        await authgate.run(DeleteUser, lambda u: u.execute(root))


async def test_an_administrator_goes_while_another_remains(authgate: Authgate) -> None:
    root = await authgate.signup("root", ["admin"])
    await authgate.signup("other", ["admin"])

    await authgate.run(DeleteUser, lambda u: u.execute(root))

    with pytest.raises(UserNotFound):
        await authgate.run(DeleteUser, lambda u: u.execute(root))


async def test_disabled_accounts_are_refused_only_after_the_right_password(
    authgate: Authgate,
) -> None:
    alice = await authgate.signup("alice")
    token = await authgate.signin("alice")
    await authgate.run(DisableUser, lambda u: u.execute(alice))

    with pytest.raises(InvalidCredentials):
        await authgate.signin("alice", "wrong password")
    with pytest.raises(AccountDisabled):
        await authgate.signin("alice")
    with pytest.raises(AccessTokenInvalid):
        await authgate.run(ListOwnSessions, lambda u: u.execute(), KnownCaller(access_token=token))
    assert (await authgate.metrics()).counts["signin", "disabled"] == 1


async def test_a_password_change_keeps_only_the_current_session(authgate: Authgate) -> None:
    await authgate.signup("alice")
    mine, other = await authgate.signin("alice"), await authgate.signin("alice")
    caller = KnownCaller(access_token=mine)
    request = ChangePasswordRequest(PASSWORD, "a new long password")

    ended = await authgate.run(ChangePassword, lambda u: u.execute(request), caller)

    assert ended == 1
    with pytest.raises(AccessTokenInvalid):
        await authgate.run(ListOwnSessions, lambda u: u.execute(), KnownCaller(access_token=other))
    own = await authgate.run(ListOwnSessions, lambda u: u.execute(), KnownCaller(access_token=mine))
    assert [s.id for s in own.sessions] == [own.current_id]
    assert len(await authgate.events("password.change")) == 1


async def test_a_wrong_current_password_counts_as_a_failed_signin(authgate: Authgate) -> None:
    await authgate.signup("alice")
    token = await authgate.signin("alice")
    caller = KnownCaller(access_token=token)
    request = ChangePasswordRequest("not it at all", "a new long password")

    with pytest.raises(CurrentPasswordIncorrect):
        await authgate.run(ChangePassword, lambda u: u.execute(request), caller)

    assert (await authgate.metrics()).counts["signin", "failure"] == 1
    failures = await authgate.events("signin.failure")
    assert [e.detail for e in failures] == [{"reason": "wrong current password"}]
    assert await authgate.events("password.change") == []


async def test_deleting_ones_account_needs_the_password(authgate: Authgate) -> None:
    await authgate.signup("alice")
    token = await authgate.signin("alice")

    with pytest.raises(CurrentPasswordIncorrect):
        await authgate.run(
            DeleteOwnAccount,
            lambda u: u.execute(DeleteOwnAccountRequest("nope nope")),
            KnownCaller(access_token=token),
        )
    await authgate.run(
        DeleteOwnAccount,
        lambda u: u.execute(DeleteOwnAccountRequest(PASSWORD)),
        KnownCaller(access_token=token),
    )

    with pytest.raises(AccessTokenInvalid):
        await authgate.run(ListOwnSessions, lambda u: u.execute(), KnownCaller(access_token=token))


async def test_a_session_of_another_user_is_not_found(authgate: Authgate) -> None:
    await authgate.signup("alice")
    await authgate.signup("bob")
    alice, bob = await authgate.signin("alice"), await authgate.signin("bob")
    bobs = (
        await authgate.run(ListOwnSessions, lambda u: u.execute(), KnownCaller(access_token=bob))
    ).current_id

    with pytest.raises(SessionNotFound):
        await authgate.run(
            EndOwnSession,
            lambda u: u.execute(EndOwnSessionRequest(bobs)),
            KnownCaller(access_token=alice),
        )


async def test_only_administrators_administer(authgate: Authgate) -> None:
    await authgate.signup("alice")
    token = await authgate.signin("alice")

    with pytest.raises(RoleRequired):
        await authgate.run(AuthorizeAdministrator, lambda u: u(), KnownCaller(Client("::1"), token))


async def test_listing_filters_and_pages(authgate: Authgate) -> None:
    for name in ("alice", "alfred", "bob"):
        await authgate.signup(name)

    async def listed(**filters: Any) -> Any:
        request = ListUsersRequest(**filters)
        return await authgate.run(ListUsers, lambda u: u.execute(request))

    first = await listed(query="AL", limit=1)
    second = await listed(query="AL", limit=1, cursor=first.next_cursor)
    assert [u.username.value for u in first.items + second.items] == ["alice", "alfred"]
    assert second.next_cursor is None
    assert [u.username.value for u in (await listed(role="user")).items] == [
        "alice",
        "alfred",
        "bob",
    ]


async def test_enabling_never_revives_a_session_from_before(authgate: Authgate) -> None:
    alice = await authgate.signup("alice")
    await authgate.run(DisableUser, lambda u: u.execute(alice))
    # A signin that read the account just before it was disabled: its session starts after.
    storage = await authgate.container.get(InMemoryStorage)
    storage.users[alice] = replace(storage.users[alice], disabled=False)
    raced = await authgate.signin("alice")
    storage.users[alice] = replace(storage.users[alice], disabled=True)

    await authgate.run(EnableUser, lambda u: u.execute(alice))

    with pytest.raises(AccessTokenInvalid):
        await authgate.run(ListOwnSessions, lambda u: u.execute(), KnownCaller(access_token=raced))
    await authgate.signin("alice")
