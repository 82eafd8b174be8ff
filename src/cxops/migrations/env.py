"""Alembic environment: one history for SQLite and PostgreSQL, run programmatically by cxops.core.migrate."""

from __future__ import annotations

from alembic import context

from cxops.entrypoints.registry import metadata

config = context.config


def run_migrations_online() -> None:
    connectable = config.attributes["connection"]
    context.configure(
        connection=connectable,
        target_metadata=metadata,
        render_as_batch=connectable.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
