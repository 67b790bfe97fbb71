"""Alembic environment: runs on the connection :mod:`sluiceway.meta.migrate` hands over.

There is no ``alembic.ini`` and no URL here; the store opens the connection (with its
pragmas and locks) and passes it in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from sluiceway.meta.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run metadata migrations through sluiceway.meta.migrate, not alembic")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
