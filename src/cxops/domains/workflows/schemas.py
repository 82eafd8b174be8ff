"""API schemas of the workflows domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=50_000, description="the rule as YAML")


class RuleIn(_Source):
    applies_from: AwareDatetime | None = Field(
        default=None,
        description="act on facts from this time (not in the future); default: now for a new rule, the previous "
        "version's time for a new version",
    )


class DryRunIn(_Source):
    since: datetime | None = Field(
        default=None, description="only events created and facts (e.g. an interaction's end) at or after this time"
    )
    limit: int = Field(default=200, ge=1, le=1000)


class BackfillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: AwareDatetime = Field(description="apply the rule to facts at or after this time (not in the future)")
    max_events: int = Field(default=1000, ge=1, le=10_000, description="at most this many events, newest first")


class BackfillReport(BaseModel):
    rule: str
    version: int
    since: datetime
    events_examined: int
    subjects_evaluated: int
    runs_created: int
    runs_already_present: int
    more_events: bool = Field(description="older events of the window were left out (raise max_events)")


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
    active_from: datetime = Field(description="the rule acts on facts (e.g. an interaction's end) from this time")
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
    decided_by: str | None = None
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
