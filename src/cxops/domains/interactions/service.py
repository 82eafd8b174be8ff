"""Rules of the interactions domain beyond ingestion."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import null, update
from sqlalchemy.orm import Session

from cxops.core.errors import ValidationFailed
from cxops.core.repository import get_scoped
from cxops.domains.interactions.models import Interaction

MAX_TAGS = 50


def add_tags(session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID, tags: list[str]) -> list[str]:
    """Add tags to an interaction (kept across re-ingestion); returns the full, sorted tag list."""
    clean = {t.strip() for t in tags if isinstance(t, str) and t.strip()}
    if not clean or any(len(t) > 64 for t in clean):
        raise ValidationFailed("tags must be 1-64 characters each", field="tags")
    row = get_scoped(session, Interaction, org_id, interaction_id, "interaction")
    merged = sorted(set(row.tags or []) | clean)
    if len(merged) > MAX_TAGS:
        raise ValidationFailed(f"an interaction has at most {MAX_TAGS} tags", field="tags")
    row.tags = merged
    return merged


def set_documentation(
    session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID], document: dict[str, Any] | None
) -> None:
    """Store the CRM-ready documentation on interactions (None clears it, e.g. after an erasure)."""
    if not interaction_ids:
        return
    session.execute(
        update(Interaction)
        .where(Interaction.org_id == org_id, Interaction.id.in_(interaction_ids))
        .values(documentation=document if document is not None else null())
        .execution_options(synchronize_session=False)
    )
