"""API schemas of the interactions domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cxops.contracts.interactions import AgentStateEventIn


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InteractionRead(_Out):
    id: uuid.UUID
    source: str
    external_id: str
    channel: str
    queue_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    primary_agent_id: uuid.UUID | None
    team_id: uuid.UUID | None
    started_at: datetime
    ended_at: datetime | None
    talk_s: float
    hold_s: float
    wrap_s: float
    outcome: str | None
    disposition: str | None
    intent: str | None
    csat: int | None
    survey_answered: bool
    ai_involved: bool
    handed_off: bool
    turn_count: int
    sentiment_start: float | None
    sentiment_end: float | None


class TurnRead(_Out):
    seq: int
    speaker: str
    offset_ms: int
    end_offset_ms: int | None
    text: str
    agent_id: uuid.UUID | None
    sentiment: float | None


class ParticipantRead(_Out):
    seq: int
    agent_id: uuid.UUID
    kind: str
    role: str
    joined_offset_ms: int | None


class InteractionDetail(InteractionRead):
    attributes: dict[str, Any]
    documentation: dict[str, Any] | None
    participants: list[ParticipantRead]
    turns: list[TurnRead]


class InteractionPage(BaseModel):
    items: list[InteractionRead]
    total: int
    limit: int
    offset: int


class IngestResult(BaseModel):
    status: str
    id: str
    external_id: str


class AgentStateBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[AgentStateEventIn] = Field(min_length=1, max_length=10_000)


class AgentStateSummary(BaseModel):
    received: int
    created: int
    unchanged: int
