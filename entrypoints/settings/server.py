"""Where and how the service runs: the address, the processes, the local data and the logs."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Self

from entrypoints.logs import LOG_FORMATS
from entrypoints.settings.declarations import SettingsError, read, setting


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = setting("127.0.0.1", "HOST")
    port: int = setting(8080, "PORT", low=1, high=65535)
    workers: int = setting(1, "WORKERS", low=1, high=64)
    data_dir: Path = setting(Path("data"), "DATA_DIR")  # noqa: RUF009 - a Path is immutable
    log_format: str = setting("text", "LOG_FORMAT")
    """`text` for a person at a terminal, `json` (one object a line) for a log pipeline."""
    access_log: bool = setting(True, "ACCESS_LOG")
    """One line per request; off where a proxy in front already writes one."""

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        server = read(cls, env)
        return replace(server, log_format=_log_format(server.log_format))


def _log_format(configured: str) -> str:
    if configured.lower() not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be text or json, not {configured!r}")
    return configured.lower()
