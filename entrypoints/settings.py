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
from adapters.mail.delivery import DeliveryPolicy
from adapters.mail.smtp import SmtpServer
from application.operations.purge_audit_events import AuditPolicy
from application.shared.one_time_tokens import TOKEN_PLACEHOLDER, TokenPolicy
from application.shared.rate_limits import RateLimitPolicy
from application.shared.session_policy import SessionPolicy
from application.shared.transactions import RetryPolicy
from domain.attempts import Backoff, Limit
from entrypoints.logs import LOG_FORMATS

MEMORY_DATABASE_URL = "memory://"
_SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _cores() -> int:
    return os.cpu_count() or 1


class SettingsError(ValueError):
    """A configuration value the service refuses to start with."""


def _setting(
    default: Any,
    env: str,
    *,
    low: float | None = None,
    high: float | None = None,
    secret: bool = False,
) -> Any:
    """`secret`: kept out of the settings' repr, which may reach a log."""
    return field(default=default, repr=not secret, metadata={"env": env, "low": low, "high": high})


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
    hash_queue_timeout: float = _setting(5.0, "HASH_QUEUE_TIMEOUT", low=0.01, high=60)
    """Long enough for a queue of some 15 cost-12 hashes per thread: a burst of signins waits, a
    flood is refused."""
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
    db_causal_reads: bool = _setting(False, "DB_CAUSAL_READS")
    """MariaDB Galera: every read first waits until its node has applied what the cluster
    committed before it (`wsrep_sync_wait`), so that what one node revoked is refused by every
    node at once. Off by default: MySQL has no such variable."""
    max_body_size: int = _setting(64 * 1024, "MAX_BODY_SIZE", low=1024)
    session_purge_interval: int = _setting(3600, "SESSION_PURGE_INTERVAL", low=0)
    """Also when audit events past their retention are purged."""
    audit_retention_days: int = _setting(90, "AUDIT_RETENTION_DAYS", low=1)
    smtp_url: str = _setting("", "SMTP_URL", secret=True)
    """Empty: mail goes to the outbox folder under `data_dir`."""
    mail_from: str = _setting("Authgate <no-reply@localhost>", "MAIL_FROM")
    password_reset_url: str = _setting(
        "http://localhost:8081/reset-password?token={token}", "PASSWORD_RESET_URL"
    )
    email_verify_url: str = _setting(
        "http://localhost:8081/verify-email?token={token}", "EMAIL_VERIFY_URL"
    )
    password_reset_ttl: int = _setting(1800, "PASSWORD_RESET_TTL", low=60, high=86400)
    email_verify_ttl: int = _setting(86400, "EMAIL_VERIFY_TTL", low=60, high=30 * 86400)
    require_verified_email: bool = _setting(False, "REQUIRE_VERIFIED_EMAIL")
    """Off by default: the original's clients know nothing of verification."""
    mail_retry_attempts: int = _setting(10, "MAIL_RETRY_ATTEMPTS", low=1, high=100)
    mail_retry_backoff: float = _setting(2.0, "MAIL_RETRY_BACKOFF", low=0, high=3600)
    mail_retry_max_backoff: float = _setting(300.0, "MAIL_RETRY_MAX_BACKOFF", low=0, high=86400)
    mail_timeout: float = _setting(30.0, "MAIL_TIMEOUT", low=0.1, high=600)
    mail_shutdown_grace: float = _setting(10.0, "MAIL_SHUTDOWN_GRACE", low=0, high=600)
    # Rate limits: how many attempts each window (seconds) allows. README, "Guessing and abuse".
    rate_limits: bool = _setting(True, "RATE_LIMITS")
    redis_url: str = _setting("", "REDIS_URL")
    """Empty: the tallies are kept in the database (or in memory with `memory://`)."""
    signin_account_address_limit: int = _setting(5, "SIGNIN_ACCOUNT_ADDRESS_LIMIT", low=1)
    signin_account_address_window: int = _setting(900, "SIGNIN_ACCOUNT_ADDRESS_WINDOW", low=1)
    signin_backoff: int = _setting(60, "SIGNIN_BACKOFF", low=1)
    """Seconds of the first lock of an account from one address; each failure doubles it."""
    signin_backoff_max: int = _setting(900, "SIGNIN_BACKOFF_MAX", low=1)
    signin_address_limit: int = _setting(100, "SIGNIN_ADDRESS_LIMIT", low=1)
    signin_address_window: int = _setting(3600, "SIGNIN_ADDRESS_WINDOW", low=1)
    signin_account_limit: int = _setting(50, "SIGNIN_ACCOUNT_LIMIT", low=1)
    signin_account_window: int = _setting(3600, "SIGNIN_ACCOUNT_WINDOW", low=1)
    signup_address_limit: int = _setting(30, "SIGNUP_ADDRESS_LIMIT", low=1)
    signup_address_window: int = _setting(3600, "SIGNUP_ADDRESS_WINDOW", low=1)
    refresh_session_limit: int = _setting(120, "REFRESH_SESSION_LIMIT", low=1)
    refresh_session_window: int = _setting(3600, "REFRESH_SESSION_WINDOW", low=1)
    refresh_address_limit: int = _setting(3600, "REFRESH_ADDRESS_LIMIT", low=1)
    refresh_address_window: int = _setting(3600, "REFRESH_ADDRESS_WINDOW", low=1)
    reset_email_limit: int = _setting(5, "RESET_EMAIL_LIMIT", low=1)
    reset_email_window: int = _setting(3600, "RESET_EMAIL_WINDOW", low=1)
    reset_address_limit: int = _setting(20, "RESET_ADDRESS_LIMIT", low=1)
    reset_address_window: int = _setting(3600, "RESET_ADDRESS_WINDOW", low=1)
    # What a slow, broken or hostile client may hold, and the headers every answer carries.
    header_read_timeout: float = _setting(10.0, "HEADER_READ_TIMEOUT", low=0.1, high=60)
    """Seconds a connection may take to send a request's headers (or stay idle between them)."""
    body_read_timeout: float = _setting(10.0, "BODY_READ_TIMEOUT", low=0.1, high=300)
    """Seconds a request may take to send its whole body, counted from its headers."""
    max_connections: int = _setting(4096, "MAX_CONNECTIONS", low=16, high=65536)
    """Open connections per worker; more wait in the listen queue."""
    hsts_max_age: int = _setting(0, "HSTS_MAX_AGE", low=0)
    """Seconds for Strict-Transport-Security; 0 sends no such header (serve over HTTPS first)."""
    docs_enabled: bool = _setting(True, "DOCS_ENABLED")
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
    def rate_limit_policy(self) -> RateLimitPolicy:
        def limit(name: str, backoff: Backoff | None = None) -> Limit:
            attempts, window = getattr(self, f"{name}_limit"), getattr(self, f"{name}_window")
            return Limit(name, attempts, timedelta(seconds=window), backoff)

        backoff = Backoff(
            first=timedelta(seconds=self.signin_backoff),
            ceiling=timedelta(seconds=self.signin_backoff_max),
        )
        return RateLimitPolicy(
            enabled=self.rate_limits,
            signin_account_address=limit("signin_account_address", backoff),
            signin_address=limit("signin_address"),
            signin_account=limit("signin_account"),
            signup_address=limit("signup_address"),
            refresh_session=limit("refresh_session"),
            refresh_address=limit("refresh_address"),
            reset_email=limit("reset_email"),
            reset_address=limit("reset_address"),
        )

    @property
    def audit_policy(self) -> AuditPolicy:
        return AuditPolicy(retention=timedelta(days=self.audit_retention_days))

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in self.trusted_proxies)

    @property
    def smtp_server(self) -> SmtpServer | None:
        return SmtpServer.from_url(self.smtp_url) if self.smtp_url else None

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def token_policy(self) -> TokenPolicy:
        return TokenPolicy(
            password_reset_lifetime=timedelta(seconds=self.password_reset_ttl),
            email_verification_lifetime=timedelta(seconds=self.email_verify_ttl),
            password_reset_url=self.password_reset_url,
            email_verification_url=self.email_verify_url,
        )

    @property
    def mail_delivery_policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            attempts=self.mail_retry_attempts,
            backoff=self.mail_retry_backoff,
            max_backoff=self.mail_retry_max_backoff,
        )

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
            smtp_url=_smtp_url(settings.smtp_url),
            mail_from=_sender(settings.mail_from),
            password_reset_url=_link_template("PASSWORD_RESET_URL", settings.password_reset_url),
            email_verify_url=_link_template("EMAIL_VERIFY_URL", settings.email_verify_url),
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


def _smtp_url(configured: str) -> str:
    if configured:
        try:
            SmtpServer.from_url(configured)
        except ValueError as error:
            # The reason never repeats the URL: it may hold the password.
            raise SettingsError(f"SMTP_URL {error}") from None
    return configured


def _sender(configured: str) -> str:
    address = configured.rpartition("<")[2].rstrip(">").strip()
    local, _, domain = address.partition("@")
    if not local or not domain or any(c in configured for c in "\r\n"):
        raise SettingsError(
            f"MAIL_FROM must be an address, as in 'Name <me@example.org>': {configured!r}"
        )
    return configured


def _link_template(name: str, template: str) -> str:
    if TOKEN_PLACEHOLDER not in template:
        raise SettingsError(f"{name} must contain {TOKEN_PLACEHOLDER}, where the token goes")
    if not template.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL")
    return template


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
