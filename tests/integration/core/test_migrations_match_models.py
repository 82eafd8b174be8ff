"""The migrations build exactly the schema the models declare (tables, columns, indexes, constraints), on SQLite
and PostgreSQL: a model change without its migration, or the reverse, fails here instead of in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session, sessionmaker

import cxops.entrypoints.registry  # noqa: F401  (imports every domain's models)
from cxops.core.db import Base


def test_migrated_schema_matches_the_models(session_factory: sessionmaker[Session]) -> None:
    engine = session_factory.kw["bind"]
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == [], f"schema differs from the models: {differences}"
