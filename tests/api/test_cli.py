"""`authgate users ...` and `authgate audit`: the administration endpoints' parity on the command
line, against a SQLite file as an operator would run them."""

import json
from pathlib import Path

import pytest

from entrypoints.cli import main


@pytest.fixture
def authgate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> "Cli":
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BCRYPT_COST", "4")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return Cli(monkeypatch, capsys)


class Cli:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self._capsys.readouterr()
        status = main(list(argv))
        captured = self._capsys.readouterr()
        return status, captured.out, captured.err

    def create_admin(self, name: str) -> None:
        self._monkeypatch.setenv("AUTHGATE_ADMIN_PASSWORD", "a long admin password")
        assert self("create-admin", "--username", name, "--email", f"{name}@example.com")[0] == 0


def test_users_list_prints_a_table_and_json(authgate: Cli) -> None:
    authgate.create_admin("root")
    authgate.create_admin("second")

    status, out, _ = authgate("users", "list")
    assert status == 0
    heading, *rows = out.splitlines()
    assert heading.split() == [
        "ID",
        "USERNAME",
        "EMAIL",
        "ROLES",
        "DISABLED",
        "VERIFIED",
        "CREATED",
        "LAST",
        "SIGNIN",
    ]
    assert [row.split()[1] for row in rows] == ["root", "second"]

    status, out, _ = authgate("users", "list", "--limit", "1", "--json")
    page = json.loads(out)
    assert [user["username"] for user in page["items"]] == ["root"]
    assert page["nextCursor"] == "1"
    status, out, _ = authgate("users", "list", "--cursor", "1", "--query", "SEC")
    assert "second" in out
    assert "root" not in out


def test_users_commands_change_accounts_and_keep_the_last_administrator(authgate: Cli) -> None:
    authgate.create_admin("root")
    authgate.create_admin("second")

    status, out, _ = authgate("users", "set-roles", "2", "user", "moderator", "--json")
    assert status == 0
    assert json.loads(out)["roles"] == ["ROLE_USER", "ROLE_MODERATOR"]
    assert "yes" in authgate("users", "disable", "2")[1]
    assert authgate("users", "enable", "2", "--json")[1].count('"disabled":false') == 1
    assert authgate("users", "end-sessions", "2")[1].startswith("Sessions ended")

    status, _, err = authgate("users", "delete", "1")
    assert status == 1
    assert "The last administrator cannot be removed" in err
    assert authgate("users", "delete", "2") == (0, "User deleted.\n", "")
    status, _, err = authgate("users", "show", "2")
    assert (status, err) == (1, "authgate: user not found\n")


def test_audit_prints_the_trail_newest_first(authgate: Cli) -> None:
    authgate.create_admin("root")
    authgate("users", "disable", "1")  # refused: the last administrator

    status, out, _ = authgate("audit")
    assert status == 0
    assert out.splitlines()[1].split()[3] == "signup"
    status, out, _ = authgate("audit", "--type", "signup", "--json")
    events = json.loads(out)["items"]
    assert [(e["type"], e["userId"], e["actorId"]) for e in events] == [("signup", 1, None)]
    assert authgate("audit", "--type", "nonsense")[0] == 1


def key_rows(authgate: "Cli") -> list[list[str]]:
    status, out, _ = authgate("keys", "list")
    assert status == 0
    return [line.split() for line in out.splitlines()[1:]]


def test_keys_rotate_list_and_revoke_through_the_states(authgate: Cli) -> None:
    assert authgate("keys", "list")[1].strip() == "(none)"
    status, out, _ = authgate("keys", "rotate")
    assert status == 0
    first = out.split()[1]
    assert "signing from" in out  # nothing signed yet: the first key signs at once

    status, out, _ = authgate("keys", "rotate")
    assert status == 0
    second = out.split()[1]
    status, _, err = authgate("keys", "rotate")
    assert status == 1
    assert f"key {second} is already waiting to sign" in err
    header = authgate("keys", "list")[1].splitlines()[0].split()
    assert header[:3] == ["KID", "ALGORITHM", "STATE"]
    assert [(row[0], row[1], row[2]) for row in key_rows(authgate)] == [
        (first, "ES256", "current"),
        (second, "ES256", "next"),
    ]

    status, _, err = authgate("keys", "revoke", second[::-1])
    assert (status, err.strip()) == (1, f"authgate: no key {second[::-1]}")
    status, out, _ = authgate("keys", "revoke", first)
    assert status == 0
    assert f"key {second} signs from" in out
    assert [row[2] for row in key_rows(authgate)] == ["revoked", "current"]
    status, _, err = authgate("keys", "revoke", second)
    assert status == 1
    assert "the only signing key" in err


def test_keys_commands_refuse_with_hs256(authgate: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_ALGORITHM", "HS256")

    status, _, err = authgate("keys", "rotate")

    assert status == 1
    assert "HS256" in err


def test_a_kid_beginning_with_a_dash_is_a_kid(authgate: Cli) -> None:
    status, _, err = authgate("keys", "revoke", "-abc")

    assert (status, err.strip()) == (1, "authgate: no key -abc")
