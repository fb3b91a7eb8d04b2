"""Alembic environment: runs migrations on the connection paperwire hands it."""

from __future__ import annotations

from alembic import context

from paperwire.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we always pass one (see store.migrate)
    raise RuntimeError("paperwire runs its migrations through paperwire.store.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables when a migration needs it.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
