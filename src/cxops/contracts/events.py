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
