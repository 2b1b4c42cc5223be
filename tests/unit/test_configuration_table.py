"""README.md's configuration table and the settings' declarations stay in step: the table lists
exactly the variables the service reads, each with the default it is declared with."""

import re
from pathlib import Path
from typing import Any

from entrypoints.settings import Settings, declared_settings, section_of

README = Path(__file__).parents[2] / "README.md"
# The README writes these defaults as prose; what can be compared is compared below.
PROSE_DEFAULTS = {
    "DATABASE_URL": "declared empty: the SQLite file under DATA_DIR, which the table shows",
    "BCRYPT_THREADS": "declared 0: one per core in each worker",
}
# In the table, read by another part: not a setting.
NOT_SETTINGS = {"PROMETHEUS_MULTIPROC_DIR": "prometheus_client's, prepared by `authgate serve`"}
_EMPTY = {"none", "unset", "generated"}
_BOOLEANS = {"on": "true", "off": "false"}


# The README's heading of each section's table.
HEADINGS = {
    "server": "Server",
    "database": "Database",
    "tokens": "Tokens and sessions",
    "mail": "Mail",
    "limits": "Rate limits",
    "edge": "HTTP edge",
    "keys": "Signing keys and introspection",
    "mfa": "Two-factor",
    "passkeys": "Passkeys",
}


def configuration_section() -> str:
    return README.read_text(encoding="utf-8").split("\n## Configuration\n")[1].split("\n## ")[0]


def configuration_table(text: str | None = None) -> dict[str, str]:
    """Each variable in the table with its default, as written there (backticks dropped). A row
    may list several variables: `SIGNIN_ACCOUNT_ADDRESS_LIMIT`, `_WINDOW` names
    SIGNIN_ACCOUNT_ADDRESS_WINDOW, with a default each."""
    table: dict[str, str] = {}
    for row in (configuration_section() if text is None else text).splitlines():
        if not row.startswith("| `"):
            continue
        variables_cell, default_cell = (cell.strip() for cell in row.strip("|").split("|")[:2])
        variables = re.findall(r"`([A-Z_]+)`", variables_cell)
        first_prefix = variables[0].rsplit("_", 1)[0]
        names = [first_prefix + name if name.startswith("_") else name for name in variables]
        defaults = re.findall(r"`([^`]*)`", default_cell) if len(names) > 1 else [default_cell]
        assert len(defaults) == len(names), row
        table.update(zip(names, (default.strip("`") for default in defaults), strict=True))
    return table


def _declared(value: Any) -> str:
    """A declared default as the table writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, bytes):
        return value.decode()
    return _written(str(value))


def _written(text: str) -> str:
    """A default in the table in one spelling: `on` is `true`, `unset` is empty, `5` is `5.0`."""
    text = text.strip().lower()
    if text in _EMPTY:
        return ""
    try:
        return f"{float(text):g}"
    except ValueError:
        return _BOOLEANS.get(text, text)


def test_the_table_lists_exactly_the_variables_read() -> None:
    assert set(configuration_table()) - set(NOT_SETTINGS) == set(declared_settings())


def test_the_table_gives_each_setting_its_declared_default() -> None:
    table = configuration_table()
    written = {name: _written(table.get(name, "(missing)")) for name in declared_settings()}
    declared = {name: _declared(setting.default) for name, setting in declared_settings().items()}

    for name in PROSE_DEFAULTS:
        del written[name], declared[name]
    assert written == declared


def test_the_database_default_is_the_sqlite_file_the_table_shows() -> None:
    settings = Settings.from_env({"JWT_SECRET": "x" * 32})

    assert settings.database.url == configuration_table()["DATABASE_URL"]


def test_each_variable_is_listed_under_its_sections_heading() -> None:
    tables = configuration_section().split("\n### ")[1:]
    listed_under = {
        variable: table.splitlines()[0]
        for table in tables
        for variable in configuration_table(table)
    }
    expected = {variable: HEADINGS[section_of(variable)] for variable in declared_settings()}

    assert {v: listed_under.get(v) for v in expected} == expected
