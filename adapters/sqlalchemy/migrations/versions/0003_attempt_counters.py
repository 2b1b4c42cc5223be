"""Tallies of attempts for the rate limits, shared by every worker and server on the database.

Frozen: the columns are spelled out here, so later changes to the live tables cannot change what
this revision creates.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def _moment() -> sa.types.TypeEngine[datetime]:
    """UTC without a zone, to the microsecond on MySQL and MariaDB too."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "attempt_counters",
        sa.Column(
            "counter_key",
            sa.String(100).with_variant(
                mysql.VARCHAR(100, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
            ),
            primary_key=True,
        ),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_at", _moment(), nullable=False),
        sa.Column("expires_at", _moment(), nullable=False),
        **_MYSQL_TABLE_OPTIONS,
    )
    op.create_index("ix_attempt_counters_expires_at", "attempt_counters", ["expires_at"])


def downgrade() -> None:
    op.drop_table("attempt_counters")
