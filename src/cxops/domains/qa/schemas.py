"""API schemas of the QA domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ScorecardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=100_000, description="the scorecard as YAML")


class ScorecardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    version: int
    active: bool
    source: str
    created_at: datetime


class EvaluationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    interaction_id: uuid.UUID
    scorecard_name: str
    version: int
    agent_id: uuid.UUID | None
    agent_kind: str | None
    total: float
    auto_failed: bool
    sections: dict[str, Any]
    criteria: list[dict[str, Any]]
    scored_at: datetime


class ConnectImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=100, description="the ingestion source of the contact, e.g. connect")
    form: dict[str, Any]
    mapping: dict[str, str] = Field(description="question text or ref id -> criterion id", max_length=500)


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criterion: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=4000)


class DisputeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["upheld", "rejected"]
    reason: str = Field(min_length=1, max_length=4000)


class DisputeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    evaluation_id: uuid.UUID
    criterion: str
    reason: str
    status: str
    history: list[dict[str, Any]]
    created_at: datetime
