"""Alembic environment: migrations run on the connection calmline hands over (see database.migrate)."""

from __future__ import annotations

from alembic import context

from calmline.storage.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - calmline always passes its own connection
    raise RuntimeError("run migrations through calmline.storage.database.migrate()")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
