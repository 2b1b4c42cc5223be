"""SQLite's users table with AUTOINCREMENT: without it SQLite gives the highest id again once its
account is deleted, and the deleted user's audit trail then reads as the new account's. The
table is rebuilt keeping every row and id; the sequence starts above every id the audit trail
names, so the ids of users deleted before this revision are not given out either.

MySQL and MariaDB need nothing: InnoDB never hands out an AUTO_INCREMENT value twice, and keeps
its counter across restarts (MySQL 8.0, MariaDB 10.2.4 and later).

Run with SQLite's foreign keys off (`adapters.sqlalchemy.migrate` does): the rebuild drops the
old table, which with foreign keys on would cascade-delete every session, role grant and token.

Frozen: nothing is imported from the live table definitions.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HIGHEST_ID_EVER = sa.text(
    "SELECT MAX(id) FROM ("
    " SELECT MAX(id) AS id FROM users"
    " UNION ALL SELECT MAX(user_id) FROM audit_events"
    " UNION ALL SELECT MAX(actor_id) FROM audit_events)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild_users(autoincrement=True)
    bind = op.get_bind()
    highest = bind.scalar(_HIGHEST_ID_EVER) or 0
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'users'"))
    bind.execute(
        sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('users', :seq)"), {"seq": highest}
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild_users(autoincrement=False)
    op.get_bind().execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'users'"))


def _rebuild_users(*, autoincrement: bool) -> None:
    if op.get_bind().scalar(sa.text("PRAGMA foreign_keys")):
        raise RuntimeError(
            "rebuilding users with SQLite's foreign keys on would delete every row that refers "
            "to a user; migrate with `authgate migrate`, which turns them off"
        )
    with op.batch_alter_table(
        "users", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
