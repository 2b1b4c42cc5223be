"""The database: where it is, how many connections, how long a request may wait on it, and what
the periodic purges keep."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Self

from entrypoints.settings.declarations import read, setting

MEMORY_DATABASE_URL = "memory://"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = setting("", "DATABASE_URL")
    """Empty: the SQLite file under DATA_DIR."""
    pool_size: int = setting(10, "DB_POOL_SIZE", low=1)
    deadline: float = setting(5.0, "DB_DEADLINE", low=0.05, high=300)
    retry_attempts: int = setting(4, "DB_RETRY_ATTEMPTS", low=1, high=20)
    retry_backoff: float = setting(0.02, "DB_RETRY_BACKOFF", low=0, high=5)
    causal_reads: bool = setting(False, "DB_CAUSAL_READS")
    """MariaDB Galera: every read first waits until its node has applied what the cluster
    committed before it (`wsrep_sync_wait`), so that what one node revoked is refused by every
    node at once. Off by default: MySQL has no such variable."""
    purge_interval: int = setting(3600, "SESSION_PURGE_INTERVAL", low=0)
    """Seconds between purges of ended sessions, expired tallies and old audit events; 0: none."""
    audit_retention_days: int = setting(90, "AUDIT_RETENTION_DAYS", low=1)

    @property
    def uses_memory_storage(self) -> bool:
        return self.url == MEMORY_DATABASE_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path) -> Self:
        database = read(cls, env)
        if database.url:
            return database
        return replace(
            database, url=f"sqlite+aiosqlite:///{(data_dir / 'authgate.sqlite3').as_posix()}"
        )
