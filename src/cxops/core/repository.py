"""Repository helpers shared by every domain: dialect-aware bulk upsert, pagination, tenant-scoped get."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cxops.core.errors import NotFound

T = TypeVar("T")

MAX_PAGE_SIZE = 500


def insert_ignore(session: Session, model: Any, rows: Sequence[dict[str, Any]], conflict: Sequence[str]) -> None:
    """INSERT ... ON CONFLICT (conflict) DO NOTHING on SQLite and PostgreSQL."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).on_conflict_do_nothing(index_elements=list(conflict))
    session.execute(stmt, list(rows))


def get_scoped(session: Session, model: type[T], org_id: uuid.UUID, obj_id: uuid.UUID, what: str) -> T:
    """Load a row of the caller's organisation or raise NotFound (never reveal other tenants' rows)."""
    row = session.get(model, obj_id)
    if row is None or getattr(row, "org_id", None) != org_id:
        raise NotFound(f"{what} {obj_id} not found")
    return row


def page_bounds(limit: int, offset: int) -> tuple[int, int]:
    """Validated (limit, offset); limits above MAX_PAGE_SIZE are refused by the API schema."""
    return max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset)


def by_codes(session: Session, model: Any, org_id: uuid.UUID, codes: Sequence[str]) -> dict[str, Any]:
    """Rows of `model` in the organisation keyed by their `code`."""
    if not codes:
        return {}
    rows = session.scalars(select(model).where(model.org_id == org_id, model.code.in_(list(codes)))).all()
    return {row.code: row for row in rows}
