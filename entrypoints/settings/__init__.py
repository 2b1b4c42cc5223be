"""All configuration, from environment variables, in one typed object of sections, one per
concern. README.md lists them; tests/unit/test_configuration_table.py keeps the two in step.

Each setting is declared once, in its section: its type, its default, the variable it is read
from and the bounds it must keep. `Settings.from_env` reads every section the same way; the few
settings that need more (the generated secret, the database under the data folder, the origin
list) are finished by their section. The container gets each section as context, and builds the
policies from them (entrypoints/ioc/)."""

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from entrypoints.settings.database import MEMORY_DATABASE_URL, DatabaseSettings
from entrypoints.settings.declarations import SettingsError, read, variables
from entrypoints.settings.edge import EdgeSettings
from entrypoints.settings.keys import KeySettings
from entrypoints.settings.limits import LimitSettings
from entrypoints.settings.mail import MailSettings
from entrypoints.settings.mfa import MfaSettings
from entrypoints.settings.passkeys import PasskeySettings
from entrypoints.settings.server import ServerSettings
from entrypoints.settings.tokens import TokenSettings

__all__ = [
    "MEMORY_DATABASE_URL",
    "DatabaseSettings",
    "EdgeSettings",
    "KeySettings",
    "LimitSettings",
    "MailSettings",
    "MfaSettings",
    "PasskeySettings",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "TokenSettings",
    "declared_settings",
    "section_of",
]


@dataclass(frozen=True, slots=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    edge: EdgeSettings = field(default_factory=EdgeSettings)
    keys: KeySettings = field(default_factory=KeySettings)
    mfa: MfaSettings = field(default_factory=MfaSettings)
    passkeys: PasskeySettings = field(default_factory=PasskeySettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        server = ServerSettings.from_env(env)
        return cls(
            server=server,
            database=DatabaseSettings.from_env(env, server.data_dir),
            mail=MailSettings.from_env(env),
            limits=read(LimitSettings, env),
            edge=EdgeSettings.from_env(env),
            keys=KeySettings.from_env(env),
            mfa=read(MfaSettings, env),
            passkeys=PasskeySettings.from_env(env),
            # Last: a secret is generated and kept only once everything else is accepted.
            tokens=TokenSettings.from_env(env, server.data_dir),
        )

    @classmethod
    def of(cls, **flat: Any) -> "Settings":
        """The defaults with some settings changed: see `replaced`."""
        return cls().replaced(**flat)

    def replaced(self, **flat: Any) -> "Settings":
        """These settings with some changed, each named by its variable in lower case
        (`db_deadline=1.0` sets what DB_DEADLINE sets): how tests and tools write a few
        settings without knowing which section holds each. The values are taken as given."""
        changes: dict[str, dict[str, Any]] = {}
        for name, value in flat.items():
            if name not in _ROUTES:
                raise TypeError(f"no setting is read from {name.upper()}")
            section, attribute = _ROUTES[name]
            changes.setdefault(section, {})[attribute] = value
        return dataclasses.replace(
            self,
            **{
                section: dataclasses.replace(getattr(self, section), **values)
                for section, values in changes.items()
            },
        )

    def sections(self) -> dict[type[Any], Any]:
        """Each section by its type: the container's context."""
        return {kind: getattr(self, name) for name, kind in _SECTIONS.items()}


_SECTIONS: dict[str, type[Any]] = get_type_hints(Settings)
_ROUTES = {
    variable.lower(): (section, setting.name)
    for section, kind in _SECTIONS.items()
    for variable, setting in variables(kind).items()
}


def section_of(variable: str) -> str:
    """The name of the section that reads `variable`."""
    for section, kind in _SECTIONS.items():
        if variable in variables(kind):
            return section
    raise KeyError(variable)


def declared_settings() -> dict[str, "dataclasses.Field[Any]"]:
    """Every setting by the variable it is read from."""
    return {
        variable: setting
        for kind in _SECTIONS.values()
        for variable, setting in variables(kind).items()
    }
