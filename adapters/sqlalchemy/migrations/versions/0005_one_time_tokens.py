"""Mailed single-use tokens (password reset, email verification), stored as SHA-256 digests
only. (Whether each user's address is verified came with 0004.)

Frozen: every column is written out here, nothing is imported from the live table definitions.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def _timestamp() -> sa.types.TypeEngine[datetime]:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "one_time_tokens",
        sa.Column("digest", sa.CHAR(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_one_time_tokens_user"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("binding", sa.CHAR(64), nullable=False),
        sa.Column("issued_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        **_MYSQL_TABLE_OPTIONS,
    )
    op.create_index("ix_one_time_tokens_user_purpose", "one_time_tokens", ["user_id", "purpose"])
    op.create_index("ix_one_time_tokens_expires_at", "one_time_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_table("one_time_tokens")
