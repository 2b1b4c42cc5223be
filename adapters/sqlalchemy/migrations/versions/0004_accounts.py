"""Accounts that can be disabled and show their email verification and last signin; sessions that
show where they came from and when they were last used; the administrators' guard row; the audit
trail.

Revision ID: 0004
Revises: 0003

Frozen: it imports nothing from the live code, whose schema may move on.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def _timestamp() -> sa.types.TypeEngine[datetime]:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: SQLite (3.35 on) adds and drops these columns in place,
    # where rebuilding `users` would cascade-delete every session and role grant.
    op.add_column(
        "users", sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.add_column(
        "users", sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.add_column("users", sa.Column("last_signin_at", _timestamp(), nullable=True))
    op.add_column(
        "sessions", sa.Column("user_agent", sa.String(256), nullable=False, server_default="")
    )
    op.add_column("sessions", sa.Column("ip", sa.String(45), nullable=False, server_default=""))
    op.add_column("sessions", sa.Column("last_used_at", _timestamp(), nullable=True))
    guard = op.create_table(
        "admin_guard",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.Integer, nullable=False),
        **_TABLE_OPTIONS,
    )
    op.bulk_insert(guard, [{"id": 1, "generation": 0}])
    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("user_agent", sa.String(256), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        **_TABLE_OPTIONS,
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_user_id", "audit_events", ["user_id", "id"])
    op.create_index("ix_audit_events_type", "audit_events", ["type", "id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("admin_guard")
    for table, column in (
        ("sessions", "last_used_at"),
        ("sessions", "ip"),
        ("sessions", "user_agent"),
        ("users", "last_signin_at"),
        ("users", "email_verified"),
        ("users", "disabled"),
    ):
        op.drop_column(table, column)
