"""The schema as the adapter's queries see it. The migrations are its history and create it."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def lookup_key(length: int) -> String:
    """A lowercased copy of a name, compared byte for byte: uniqueness ignores case the same way on
    every database, whatever collation a server defaults to."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in the model, naive UTC in the database (neither MySQL's DATETIME nor
    SQLite keeps a zone), with microseconds everywhere."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[datetime]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else naive_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def naive_utc(moment: datetime) -> datetime:
    """How a moment is stored: UTC, without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def timestamp() -> UtcDateTime:
    return UtcDateTime()


USER_AGENT_LENGTH = 256
ADDRESS_LENGTH = 45  # the longest IPv6 text
AUDIT_DETAIL_LENGTH = 2000
# The ids a query can name: SQLite binds at most a signed 64-bit integer, and raises on a larger
# one (an id in a URL can be any number). An id outside names no row on any database. Where a
# client's id meets a 32-bit INTEGER column, it is bound as BIGINT, which PostgreSQL compares
# with the column as it is (asyncpg refuses a larger value bound as INTEGER).
STORABLE_IDS = range(-(2**63), 2**63)

metadata = MetaData()

roles = Table(
    "roles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(20), nullable=False),
    UniqueConstraint("name", name="uq_roles_name"),
    **MYSQL_TABLE_OPTIONS,
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(20), nullable=False),
    Column("username_key", lookup_key(20), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", lookup_key(254), nullable=False),
    Column("password", String(255), nullable=False),
    Column("created_at", timestamp(), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("email_verified", Boolean, nullable=False, server_default=false()),
    Column("last_signin_at", timestamp(), nullable=True),
    UniqueConstraint("username_key", name="uq_users_username_key"),
    UniqueConstraint("email_key", name="uq_users_email_key"),
    # An id is never given to a second account, so the audit trail (and any token still naming
    # it) of a deleted user never reads as someone else's. SQLite reuses the highest id after a
    # delete unless told AUTOINCREMENT; InnoDB keeps its counter (persisted across restarts since
    # MySQL 8.0 and MariaDB 10.2.4).
    sqlite_autoincrement=True,
    **MYSQL_TABLE_OPTIONS,
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("roles.id"), primary_key=True),
    **MYSQL_TABLE_OPTIONS,
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", CHAR(32), primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", timestamp(), nullable=False),
    Column("expires_at", timestamp(), nullable=False, index=True),
    Column("revoked_at", timestamp(), nullable=True),
    Column("generation", Integer, nullable=False),
    Column("user_agent", String(USER_AGENT_LENGTH), nullable=False, server_default=""),
    Column("ip", String(ADDRESS_LENGTH), nullable=False, server_default=""),
    Column("last_used_at", timestamp(), nullable=True),
    **MYSQL_TABLE_OPTIONS,
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("digest", CHAR(64), primary_key=True),
    Column(
        "session_id",
        CHAR(32),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("issued_at", timestamp(), nullable=False),
    Column("expires_at", timestamp(), nullable=False, index=True),
    Column("rotated_at", timestamp(), nullable=True),
    **MYSQL_TABLE_OPTIONS,
)

one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    Column("digest", CHAR(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("binding", CHAR(64), nullable=False),
    Column("issued_at", timestamp(), nullable=False),
    Column("expires_at", timestamp(), nullable=False, index=True),
    Index("ix_one_time_tokens_user_purpose", "user_id", "purpose"),
    **MYSQL_TABLE_OPTIONS,
)

# A user's TOTP factor: pending until `confirmed_at`. The secret is sealed
# (adapters/mfa_secrets.py); `last_used_step` only moves forward, by a conditional update, which
# is what refuses a replay.
second_factors = Table(
    "second_factors",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("totp_secret", String(255), nullable=False),
    Column("created_at", timestamp(), nullable=False),
    Column("confirmed_at", timestamp(), nullable=True),
    Column("last_used_step", BigInteger, nullable=False),
    **MYSQL_TABLE_OPTIONS,
)

# Keyed digests of a user's unused recovery codes; a use deletes its row.
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("digest", CHAR(64), primary_key=True),
    **MYSQL_TABLE_OPTIONS,
)

PASSKEY_NAME_LENGTH = 64
PASSKEY_TRANSPORTS_LENGTH = 200

# A credential id is up to 1023 bytes: it is found by its SHA-256, under a unique index every
# database can hold.
passkeys = Table(
    "passkeys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("credential_key", CHAR(64), nullable=False),
    Column("credential_id", LargeBinary, nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", String(PASSKEY_TRANSPORTS_LENGTH), nullable=False),
    Column("name", String(PASSKEY_NAME_LENGTH), nullable=False),
    Column("created_at", timestamp(), nullable=False),
    Column("last_used_at", timestamp(), nullable=True),
    UniqueConstraint("credential_key", name="uq_passkeys_credential_key"),
    **MYSQL_TABLE_OPTIONS,
)

# Registration and signin challenges, by digest; expired rows go with the session purge.
passkey_challenges = Table(
    "passkey_challenges",
    metadata,
    Column("digest", CHAR(64), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("expires_at", timestamp(), nullable=False, index=True),
    **MYSQL_TABLE_OPTIONS,
)

# One row per rate-limit key (a digest: no username or address is stored). Expired rows are
# deleted with the ended sessions.
attempt_counters = Table(
    "attempt_counters",
    metadata,
    Column("counter_key", lookup_key(100), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("last_at", timestamp(), nullable=False),
    Column("expires_at", timestamp(), nullable=False, index=True),
    **MYSQL_TABLE_OPTIONS,
)

# One row: every change that may take an administrator away writes it first (see
# `SqlAlchemyUserRepository.hold_administrators`).
admin_guard = Table(
    "admin_guard",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
    **MYSQL_TABLE_OPTIONS,
)

# No foreign keys: the trail outlives the accounts it names.
audit_events = Table(
    "audit_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", timestamp(), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("actor_id", Integer, nullable=True),
    Column("ip", String(ADDRESS_LENGTH), nullable=False),
    Column("user_agent", String(USER_AGENT_LENGTH), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_audit_events_user_id", "user_id", "id"),
    Index("ix_audit_events_type", "type", "id"),
    **MYSQL_TABLE_OPTIONS,
)

# The keys that sign access tokens (domain/signing_keys.py). `generation` is unique: of two
# rotations claiming the same place in the succession, the database keeps one. A revoked key
# gives its place up (NULL, which a unique index admits any number of).
signing_keys = Table(
    "signing_keys",
    metadata,
    # A base64url thumbprint: compared byte for byte, case included.
    Column("kid", lookup_key(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("generation", Integer, nullable=True),
    Column("created_at", timestamp(), nullable=False),
    Column("signs_from", timestamp(), nullable=False),
    Column("signs_until", timestamp(), nullable=True),
    Column("revoked_at", timestamp(), nullable=True),
    Column("public_jwk", String(512), nullable=False),
    Column("sealed_private_key", LargeBinary(1024), nullable=False),
    UniqueConstraint("generation", name="uq_signing_keys_generation"),
    **MYSQL_TABLE_OPTIONS,
)
