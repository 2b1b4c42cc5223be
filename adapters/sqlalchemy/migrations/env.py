"""Alembic runs inside the connection `adapters.sqlalchemy.migrate` hands it."""

from alembic import context
from sqlalchemy.engine import Connection

from adapters.sqlalchemy.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through `python -m entrypoints migrate`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
