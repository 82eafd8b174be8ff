"""Event payloads published by the QA domain."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from cxops.core.event_types import DomainEvent


class ScoredEvaluation(BaseModel):
    """One evaluation of a batch (workflows trigger `qa_scored_below_threshold` evaluates its rules on each)."""

    evaluation_id: str
    interaction_id: str
    scorecard: str
    version: int
    score: float
    auto_failed: bool
    agent_id: str | None = None
    agent_kind: str | None = None


class EvaluationsScored(DomainEvent):
    """Interactions were scored: one event per scoring batch (at most `MAX_EVALUATIONS`), as `interactions.ended`
    carries a batch, not one event per evaluation (which put tens of thousands of rows through the outbox)."""

    event_type: ClassVar[str] = "qa.evaluations_scored"
    MAX_EVALUATIONS: ClassVar[int] = 500
    evaluations: list[ScoredEvaluation]


class ScorecardActivated(DomainEvent):
    """A scorecard version became active: history is re-scored in batches."""

    event_type: ClassVar[str] = "qa.scorecard_activated"
    scorecard_id: str
