"""Sign-in sessions and their rotating refresh tokens (stored as SHA-256 digests only).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen as of this revision: a migration never imports the live schema, which may change after it.
MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.CHAR(32), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_sessions_user"),
            nullable=False,
        ),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("revoked_at", _timestamp(), nullable=True),
        sa.Column("generation", sa.Integer, nullable=False),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])
    op.create_table(
        "refresh_tokens",
        sa.Column("digest", sa.CHAR(64), primary_key=True),
        sa.Column(
            "session_id",
            sa.CHAR(32),
            sa.ForeignKey("sessions.id", ondelete="CASCADE", name="fk_refresh_tokens_session"),
            nullable=False,
        ),
        sa.Column("issued_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("rotated_at", _timestamp(), nullable=True),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])
    op.create_index("ix_refresh_tokens_expires_at", "refresh_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    op.drop_table("sessions")
