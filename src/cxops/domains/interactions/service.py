"""Rules of the interactions domain beyond ingestion."""

from __future__ import annotations

import uuid

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
