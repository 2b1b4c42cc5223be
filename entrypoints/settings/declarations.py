"""How a setting is declared and read: each field of a section names its default, the variable it
is read from and the bounds it must keep, and `read` parses them all the same way."""

import dataclasses
from collections.abc import Mapping
from dataclasses import field
from typing import Any, TypeVar

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_Section = TypeVar("_Section")


class SettingsError(ValueError):
    """A configuration value the service refuses to start with."""


def setting(
    default: Any,
    env: str,
    *,
    low: float | None = None,
    high: float | None = None,
    secret: bool = False,
    parsed: bool = True,
) -> Any:
    """`secret`: kept out of the settings' repr, which may reach a log. `parsed=False`: the
    section reads the variable itself."""
    metadata = {"env": env, "low": low, "high": high, "parsed": parsed}
    return field(default=default, repr=not secret, metadata=metadata)


def variables(section: type[Any]) -> dict[str, "dataclasses.Field[Any]"]:
    """The section's fields by the variable each is read from."""
    return {setting.metadata["env"]: setting for setting in dataclasses.fields(section)}


def read(section: type[_Section], env: Mapping[str, str]) -> _Section:
    """The section with every variable set (and not blank) in `env` parsed; defaults elsewhere."""
    values = {
        setting.name: _parse(setting, raw)
        for setting in dataclasses.fields(section)  # type: ignore[arg-type]
        if setting.metadata["parsed"] and (raw := env.get(setting.metadata["env"], "")).strip()
    }
    return section(**values)


def _parse(setting: "dataclasses.Field[Any]", raw: str) -> Any:
    name: str = setting.metadata["env"]
    kind: type[Any] = type(setting.default)
    if kind is bool:
        return _boolean(name, raw)
    if kind in (int, float):
        return _number(name, raw, kind, setting.metadata["low"], setting.metadata["high"])
    if kind is tuple:
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    return kind(raw.strip())


def _number(name: str, raw: str, kind: type[Any], low: float | None, high: float | None) -> Any:
    try:
        value = kind(raw.strip())
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name} must be {noun}, not {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise SettingsError(f"{name} must be {bounds}, not {value}")
    return value


def _boolean(name: str, raw: str) -> bool:
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")
