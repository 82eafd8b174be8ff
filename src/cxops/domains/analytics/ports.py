"""What analytics needs from domains it may not import (QA, trust, knowledge, actions policy).

Entry points bind implementations in `AnalyticsPorts` (on `app.state.analytics_ports`); an unbound port makes
its metric come back as null with a "not available" note, never a made-up number.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


class InteractionScores(Protocol):
    """Per-interaction scores on 0-100 (QA evaluation score, or trust index) for contacts in a range."""

    def scores(
        self, session: Session, *, org_id: uuid.UUID, since: datetime, until: datetime
    ) -> Mapping[uuid.UUID, float]:
        """Scores of interactions started in [since, until); interactions without a score are absent."""
        ...


class IntentCoverage(Protocol):
    """How well each intent is covered (knowledge articles, or action policies), as a fraction 0-1."""

    def coverage(self, session: Session, *, org_id: uuid.UUID, intents: Sequence[str]) -> Mapping[str, float]:
        """Coverage per intent; intents the source knows nothing about are absent."""
        ...


@dataclass
class AnalyticsPorts:
    """The bound adapters; None means not available in this deployment."""

    qa: InteractionScores | None = None
    trust: InteractionScores | None = None
    knowledge: IntentCoverage | None = None
    policy: IntentCoverage | None = None


UNAVAILABLE: dict[str, str] = {
    "qa": "not available: no QA evaluation source is bound (the QA domain provides it)",
    "trust": "not available: no trust-index source is bound (the trust domain provides it)",
    "knowledge": "not available: no knowledge-coverage source is bound (the knowledge domain provides it)",
    "policy": "not available: no policy-coverage source is bound (the actions domain provides it)",
}
