"""API schemas of the workflows domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=50_000, description="the rule as YAML")


class DryRunIn(RuleIn):
    since: datetime | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    version: int
    is_current: bool
    enabled: bool
    trigger: str
    event_type: str
    source: str
    created_at: datetime


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    rule_id: uuid.UUID
    event_id: uuid.UUID
    subject: str
    status: str
    steps: list[dict[str, Any]]
    depth: int
    created_at: datetime
    finished_at: datetime | None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    run_id: uuid.UUID | None
    kind: str
    team: str | None
    title: str
    body: str
    priority: str
    status: str
    decision_reason: str | None
    expires_at: datetime | None
    created_at: datetime


class TaskDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["done", "approve", "reject"]
    reason: str = Field(default="", max_length=2000)


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    level: str
    message: str
    roles: list[str]
    read_at: datetime | None
    created_at: datetime


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    run_id: uuid.UUID
    step: int
    url: str
    error: str
    attempts: int
    replayed_at: datetime | None
    created_at: datetime
