"""Second factors: each user's TOTP factor (its secret sealed, pending until confirmed, and the
last step a code was accepted in) and the keyed digests of their unused recovery codes.

Frozen: every column is written out here, nothing is imported from the live table definitions.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007"
down_revision: str | None = "0006"
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
        "second_factors",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_second_factors_user"),
            primary_key=True,
        ),
        sa.Column("totp_secret", sa.String(255), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("confirmed_at", _timestamp(), nullable=True),
        sa.Column("last_used_step", sa.BigInteger, nullable=False),
        **_MYSQL_TABLE_OPTIONS,
    )
    op.create_table(
        "recovery_codes",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_recovery_codes_user"),
            primary_key=True,
        ),
        sa.Column("digest", sa.CHAR(64), primary_key=True),
        **_MYSQL_TABLE_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("recovery_codes")
    op.drop_table("second_factors")
