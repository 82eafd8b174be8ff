"""Facts QA reads from other domains, bound by entrypoints (absent facts make their criteria not applicable)."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy.orm import Session


class QaFacts(Protocol):
    """Actions attempted and knowledge cited in interactions."""

    def actions_for(
        self, session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """Per interaction: [{action, decision, executed, approved, turn_seq}]."""
        ...

    def citations_for(
        self, session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[str]]:
        """Per interaction: the text of the articles shown or used."""
        ...
