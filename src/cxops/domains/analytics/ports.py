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


class VersionedScores(InteractionScores, Protocol):
    """Scores whose source says when they change: analytics reads them once per change and keeps them aligned
    with the contact frame (for sources too large to read on every request, such as the trust ledger)."""

    def version(self, session: Session, *, org_id: uuid.UUID) -> str:
        """A token that changes whenever any score of the organisation may have changed."""
        ...


class IntentCoverage(Protocol):
    """How well each intent is covered (knowledge articles, or action policies), as a fraction 0-1.

    A source may also have a `basis` attribute (str): what its figure is, in words a reader can check against
    the owning domain's own pages, e.g. "share of the newest 20 customer questions of the last 90 days that
    knowledge search answers at confidence >= 0.5". The opportunity map shows it beside the figure (the figure
    of a sample is not the figure of another sample); without it, `COVERAGE_BASIS` says that the sample size
    and period are not known.
    """

    def coverage(self, session: Session, *, org_id: uuid.UUID, intents: Sequence[str]) -> Mapping[str, float]:
        """Coverage per intent; intents the source cannot judge (no evidence) are absent, never guessed."""
        ...


@dataclass
class AnalyticsPorts:
    """The bound adapters; None means not available in this deployment."""

    qa: InteractionScores | None = None
    trust: InteractionScores | VersionedScores | None = None
    knowledge: IntentCoverage | None = None
    policy: IntentCoverage | None = None


#: Why a bound source still has no figure for a query.
NO_DATA: dict[str, str] = {
    "qa": "not available: no contact in this selection has a QA evaluation",
    "trust": "not available: the trust ledger holds no automated contact of a known customer in this selection",
}
UNAVAILABLE: dict[str, str] = {
    "qa": "not available: no QA evaluation source is bound (the QA domain provides it)",
    "trust": "not available: no trust-index source is bound (the trust domain provides it)",
    "knowledge": "not available: no knowledge-coverage source is bound (the knowledge domain provides it)",
    "policy": "not available: no policy-coverage source is bound (the actions domain provides it)",
}

#: What a bound coverage source's figure is when the source does not state its `basis`.
COVERAGE_BASIS: dict[str, str] = {
    "knowledge": "share of a sample of the intent's customer questions that knowledge search answers; the source "
    "does not state the sample size or the period",
    "policy": "share of the action steps proposed in the intent's contacts that a policy pack governs with a rule "
    "of its own; the source does not state the period",
}
