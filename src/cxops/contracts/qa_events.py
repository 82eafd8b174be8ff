"""Event payloads published by the QA domain."""

from __future__ import annotations

from typing import ClassVar

from cxops.core.event_types import DomainEvent


class EvaluationScored(DomainEvent):
    """An interaction was scored (workflows trigger `qa_scored_below_threshold` on `score`)."""

    event_type: ClassVar[str] = "qa.evaluation_scored"
    evaluation_id: str
    interaction_id: str
    scorecard: str
    version: int
    score: float
    auto_failed: bool
    agent_id: str | None = None
    agent_kind: str | None = None


class ScorecardActivated(DomainEvent):
    """A scorecard version became active: history is re-scored in batches."""

    event_type: ClassVar[str] = "qa.scorecard_activated"
    scorecard_id: str
