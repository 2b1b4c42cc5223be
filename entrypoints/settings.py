"""All configuration, from environment variables, in one typed object. README.md lists them.

Each setting is declared once below: its type, its default, the variable it is read from and the
bounds it must keep. `Settings.from_env` reads them all the same way; the few that need more (the
generated secret, the database under the data folder, the origin list) are finished afterwards.
"""

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.jwt_tokens import MIN_SECRET_BYTES
from application.session_policy import SessionPolicy
from application.transactions import RetryPolicy
from entrypoints.logs import LOG_FORMATS

MEMORY_DATABASE_URL = "memory://"
_SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _cores() -> int:
    return os.cpu_count() or 1


class SettingsError(ValueError):
    """A configuration value the service refuses to start with."""


def _setting(default: Any, env: str, *, low: float | None = None, high: float | None = None) -> Any:
    return field(default=default, metadata={"env": env, "low": low, "high": high})


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = _setting("", "DATABASE_URL")
    """Empty: the SQLite file under `data_dir`."""
    jwt_secret: bytes = field(default=b"", repr=False, metadata={"env": "JWT_SECRET"})
    """Empty: generated once and kept under `data_dir`."""
    data_dir: Path = _setting(Path("data"), "DATA_DIR")  # noqa: RUF009 - a Path is immutable
    host: str = _setting("127.0.0.1", "HOST")
    port: int = _setting(8080, "PORT", low=1, high=65535)
    workers: int = _setting(1, "WORKERS", low=1, high=64)
    access_token_ttl: int = _setting(3600, "ACCESS_TOKEN_TTL", low=1)
    refresh_token_ttl: int = _setting(86400, "REFRESH_TOKEN_TTL", low=1)
    session_ttl: int = _setting(7 * 86400, "SESSION_TTL", low=1)
    refresh_reuse_grace: int = _setting(5, "REFRESH_REUSE_GRACE", low=0, high=300)
    refresh_rotation: bool = _setting(True, "REFRESH_ROTATION")
    bcrypt_cost: int = _setting(12, "BCRYPT_COST", low=4, high=31)
    bcrypt_threads: int = _setting(0, "BCRYPT_THREADS", low=0)
    """0: together the workers' hashing threads match the cores; more would only queue."""
    hash_queue_timeout: float = _setting(2.0, "HASH_QUEUE_TIMEOUT", low=0.01, high=60)
    cors_origins: tuple[str, ...] = _setting(("http://localhost:8081",), "CORS_ORIGINS")
    cookie_secure: bool = _setting(False, "COOKIE_SECURE")
    trusted_proxies: tuple[str, ...] = _setting((), "TRUSTED_PROXIES")
    """Addresses or CIDR ranges of the proxies whose X-Forwarded-For is believed."""
    metrics_allow: tuple[str, ...] = _setting(("127.0.0.1", "::1"), "METRICS_ALLOW")
    """Addresses or CIDR ranges that may read GET /metrics (the client address, as for rate
    limits); others get 403. `0.0.0.0/0,::/0` lets every address read it."""
    db_pool_size: int = _setting(10, "DB_POOL_SIZE", low=1)
    db_deadline: float = _setting(5.0, "DB_DEADLINE", low=0.05, high=300)
    db_retry_attempts: int = _setting(4, "DB_RETRY_ATTEMPTS", low=1, high=20)
    db_retry_backoff: float = _setting(0.02, "DB_RETRY_BACKOFF", low=0, high=5)
    max_body_size: int = _setting(64 * 1024, "MAX_BODY_SIZE", low=1024)
    session_purge_interval: int = _setting(3600, "SESSION_PURGE_INTERVAL", low=0)
    log_format: str = _setting("text", "LOG_FORMAT")
    """`text` for a person at a terminal, `json` (one object a line) for a log pipeline."""
    access_log: bool = _setting(True, "ACCESS_LOG")
    """One line per request; off where a proxy in front already writes one."""

    @property
    def uses_memory_storage(self) -> bool:
        return self.database_url == MEMORY_DATABASE_URL

    @property
    def hashing_threads(self) -> int:
        return self.bcrypt_threads or max(1, _cores() // self.workers)

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            refresh_token_lifetime=timedelta(seconds=self.refresh_token_ttl),
            session_lifetime=timedelta(seconds=self.session_ttl),
            reuse_grace=timedelta(seconds=self.refresh_reuse_grace),
            rotation=self.refresh_rotation,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.db_retry_attempts,
            backoff=timedelta(seconds=self.db_retry_backoff),
        )

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in self.trusted_proxies)

    @property
    def metrics_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(source, strict=False) for source in self.metrics_allow)

    @property
    def access_token_lifetime(self) -> timedelta:
        return timedelta(seconds=self.access_token_ttl)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        values = {
            setting.name: _parse(setting, raw)
            for setting in dataclasses.fields(cls)
            if setting.name != "jwt_secret"
            and (raw := env.get(setting.metadata["env"], "")).strip()
        }
        settings = cls(**values)
        return dataclasses.replace(
            settings,
            database_url=settings.database_url
            or f"sqlite+aiosqlite:///{(settings.data_dir / 'authgate.sqlite3').as_posix()}",
            jwt_secret=_jwt_secret(env.get("JWT_SECRET"), settings.data_dir),
            cors_origins=_origins(settings.cors_origins),
            trusted_proxies=_networks("TRUSTED_PROXIES", settings.trusted_proxies),
            metrics_allow=_networks("METRICS_ALLOW", settings.metrics_allow),
            log_format=_log_format(settings.log_format),
        )


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


def _origins(configured: tuple[str, ...]) -> tuple[str, ...]:
    origins = tuple(origin.rstrip("/") for origin in configured)
    if "*" in origins:
        # Credentials (the cookie) go with every CORS answer, and browsers refuse "*" with them.
        raise SettingsError("CORS_ORIGINS must list origins; '*' is not allowed with credentials")
    return origins


def _networks(name: str, configured: tuple[str, ...]) -> tuple[str, ...]:
    for network in configured:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(
                f"{name} must list addresses or CIDR ranges, not {network!r}"
            ) from None
    return configured


def _log_format(configured: str) -> str:
    if configured.lower() not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be text or json, not {configured!r}")
    return configured.lower()


def _jwt_secret(configured: str | None, data_dir: Path) -> bytes:
    if configured:
        secret = configured.encode()
        if len(secret) < MIN_SECRET_BYTES:
            raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        return secret
    return _stored_secret(data_dir / _SECRET_FILE)


def _stored_secret(path: Path) -> bytes:
    """The secret generated on first start, kept beside the local data so that restarts and
    several workers agree. Written to a private temporary file and linked into place, so that
    workers starting together never read a half-written or second secret."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    secret = path.read_text().strip().encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(f"{path} holds a JWT secret under {MIN_SECRET_BYTES} bytes")
    return secret
