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


class AgentStatesRecorded(DomainEvent):
    """Agent state events were recorded (for real-time views and adherence)."""

    event_type: ClassVar[str] = "agents.states_recorded"
    count: int


class CustomerErased(DomainEvent):
    """A data subject's personal data was erased (trust domain). Consumers holding personal data about the
    customer or these interactions (attributions, audit payloads) erase theirs; an audit chain appends a
    tombstone entry (ids and counts only) rather than deleting entries, so the chain stays verifiable."""

    event_type: ClassVar[str] = "trust.customer_erased"
    customer_id: str
    erasure_id: str
    interaction_ids: list[str] = Field(max_length=10_000)
