"""Event payloads published after commit; the only coupling between sibling domains."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cxops.core.event_types import DomainEvent


class InteractionsEnded(DomainEvent):
    """Interactions that have ended were created or changed (one event per ingestion batch)."""

    event_type: ClassVar[str] = "interactions.ended"
    interaction_ids: list[str] = Field(max_length=10_000)
    source: str


#: Event types that come in history-sized batches every analysing consumer works through (QA, documentation, the
#: trust ledger), and QA's re-score of history after a scorecard is published (chunks of up to 200 contacts): the
#: embedded dispatcher gives them a lane of their own, so other events do not wait behind them.
BULK_EVENT_TYPES: frozenset[str] = frozenset({InteractionsEnded.event_type, "qa.rescore"})


class AgentStatesRecorded(DomainEvent):
    """Agent state events were recorded (for real-time views and adherence)."""

    event_type: ClassVar[str] = "agents.states_recorded"
    count: int


class CustomerErased(DomainEvent):
    """A data subject's personal data was erased (trust domain). Consumers holding personal data about the
    customer or these interactions (attributions, audit payloads) erase theirs; a hash-chained audit replaces
    payloads by tombstones and keeps their digests, so the chain stays verifiable. `customer_refs` are the
    references other domains may hold: the customer id and the source systems' external ids, captured before
    the erasure deleted them (pseudonymous identifiers, needed once to find the rows to erase)."""

    event_type: ClassVar[str] = "trust.customer_erased"
    customer_id: str
    erasure_id: str
    interaction_ids: list[str] = Field(max_length=10_000)
    customer_refs: list[str] = Field(default_factory=list, max_length=1_000)


class ActionDecided(DomainEvent):
    """The policy engine decided on a proposed action (allow, require_approval or deny)."""

    event_type: ClassVar[str] = "actions.decided"
    proposal_id: str
    action: str
    decision: str
    rule_ids: list[str]
    customer_ref: str | None = None
    actor_ref: str
    actor_kind: str = "ai"


class ActionExecuted(DomainEvent):
    """An action finished executing: executed, failed, compensated or reversed."""

    event_type: ClassVar[str] = "actions.executed"
    proposal_id: str
    action: str
    status: str
    customer_ref: str | None = None
    actor_ref: str
    actor_kind: str = "ai"
    amount: float = 0.0


class BreakerTripped(DomainEvent):
    """A circuit breaker opened (automatically or by hand) for an action type or an AI agent."""

    event_type: ClassVar[str] = "actions.breaker_tripped"
    scope: str
    key: str
    reason: str
    automatic: bool


class TrustThresholdCrossed(DomainEvent):
    """A customer reached the routing policy's threshold of poor automated experiences (now automation-averse)."""

    event_type: ClassVar[str] = "trust.threshold_crossed"
    customer_id: str
    poor_experiences: int
    max_poor: int
    window_days: int


class KnowledgeConflictFound(DomainEvent):
    """A sync produced two same-topic articles that state different facts (amounts, windows, dates...)."""

    event_type: ClassVar[str] = "knowledge.conflict_found"
    article_a: str
    article_b: str
    a_says: str
    b_says: str
    unit: str
    source_id: str
    #: the articles' titles and sources' names, so a rule's task or message can say which (empty in older events)
    a_title: str = ""
    b_title: str = ""
    a_source: str = ""
    b_source: str = ""


class ServiceLevelBreached(DomainEvent):
    """A queue's service level over the live window fell below its target (at most once per queue per window)."""

    event_type: ClassVar[str] = "analytics.service_level_breached"
    queue: str
    service_level: float
    target: float
    contacts: int
    window_minutes: int


class EmergingTopic(DomainEvent):
    """A topic in customer turns whose volume is rising (at most once per topic label a day)."""

    event_type: ClassVar[str] = "analytics.emerging_topic"
    label: str
    terms: list[str]
    size: int
    detail: dict[str, float | int | str | None]
