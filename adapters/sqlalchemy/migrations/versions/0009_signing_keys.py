"""The keys that sign access tokens (ES256): public JWK, private key sealed under a key derived
from JWT_SECRET, and the three moments their states follow from. `generation` is unique and
nullable: a rotation claims the next one, and the database keeps one of two concurrent claims.
(0010: second factors (0007) and passkeys (0009) landed while this was written.)

Portable types only (no MySQL-only DDL beyond the binary collation of `kid`, a variant).

Frozen: every column is written out here, nothing is imported from the live table definitions.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0009"
down_revision: str | None = "0008"
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
        "signing_keys",
        sa.Column(
            "kid",
            sa.String(64).with_variant(
                mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
            ),
            primary_key=True,
        ),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer, nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("signs_from", _timestamp(), nullable=False),
        sa.Column("signs_until", _timestamp(), nullable=True),
        sa.Column("revoked_at", _timestamp(), nullable=True),
        sa.Column("public_jwk", sa.String(512), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(1024), nullable=False),
        sa.UniqueConstraint("generation", name="uq_signing_keys_generation"),
        **_MYSQL_TABLE_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
