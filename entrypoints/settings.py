"""All configuration, from environment variables, in one typed object. README.md lists them."""

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from adapters.jwt_tokens import MIN_SECRET_BYTES
from application.session_policy import SessionPolicy

MEMORY_DATABASE_URL = "memory://"
_SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _cores() -> int:
    return os.cpu_count() or 1


class SettingsError(ValueError):
    """A configuration value the service refuses to start with."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    jwt_secret: bytes = field(repr=False)
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 86400
    session_ttl: int = 7 * 86400
    refresh_reuse_grace: int = 5
    bcrypt_cost: int = 12
    bcrypt_threads: int = field(default_factory=_cores)
    cors_origins: tuple[str, ...] = ("http://localhost:8081",)
    cookie_secure: bool = False
    db_pool_size: int = 10
    max_body_size: int = 64 * 1024
    session_purge_interval: int = 3600

    @property
    def uses_memory_storage(self) -> bool:
        return self.database_url == MEMORY_DATABASE_URL

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            refresh_token_lifetime=timedelta(seconds=self.refresh_token_ttl),
            session_lifetime=timedelta(seconds=self.session_ttl),
            reuse_grace=timedelta(seconds=self.refresh_reuse_grace),
        )

    @property
    def access_token_lifetime(self) -> timedelta:
        return timedelta(seconds=self.access_token_ttl)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        reader = _Reader(env)
        workers = reader.integer("WORKERS", 1, low=1, high=64)
        data_dir = Path(env.get("DATA_DIR") or "data")
        return cls(
            database_url=env.get("DATABASE_URL")
            or f"sqlite+aiosqlite:///{(data_dir / 'authgate.sqlite3').as_posix()}",
            jwt_secret=_jwt_secret(env.get("JWT_SECRET"), data_dir),
            data_dir=data_dir,
            host=env.get("HOST") or "127.0.0.1",
            port=reader.integer("PORT", 8080, low=1, high=65535),
            workers=workers,
            access_token_ttl=reader.integer("ACCESS_TOKEN_TTL", 3600, low=1),
            refresh_token_ttl=reader.integer("REFRESH_TOKEN_TTL", 86400, low=1),
            session_ttl=reader.integer("SESSION_TTL", 7 * 86400, low=1),
            refresh_reuse_grace=reader.integer("REFRESH_REUSE_GRACE", 5, low=0, high=300),
            bcrypt_cost=reader.integer("BCRYPT_COST", 12, low=4, high=31),
            # Together the workers' hashing threads match the cores: more only queue for them.
            bcrypt_threads=reader.integer("BCRYPT_THREADS", max(1, _cores() // workers), low=1),
            cors_origins=_origins(env.get("CORS_ORIGINS", "http://localhost:8081")),
            cookie_secure=reader.boolean("COOKIE_SECURE", False),
            db_pool_size=reader.integer("DB_POOL_SIZE", 10, low=1),
            max_body_size=reader.integer("MAX_BODY_SIZE", 64 * 1024, low=1024),
            session_purge_interval=reader.integer("SESSION_PURGE_INTERVAL", 3600, low=0),
        )


@dataclass(frozen=True, slots=True)
class _Reader:
    env: Mapping[str, str]

    def integer(self, name: str, default: int, *, low: int, high: int | None = None) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise SettingsError(f"{name} must be {bounds}, not {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.env.get(name)
        if raw is None:
            return default
        if raw.strip().lower() in _TRUE:
            return True
        if raw.strip().lower() in _FALSE:
            return False
        raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
    if "*" in origins:
        # Credentials (the cookie) go with every CORS answer, and browsers refuse "*" with them.
        raise SettingsError("CORS_ORIGINS must list origins; '*' is not allowed with credentials")
    return origins


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
