"""API schemas of the trust domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MemoryKind = Literal["preference", "fact", "history_highlight"]

#: Purposes a customer can consent to; memory is stored and read only for one of these.
PURPOSES: dict[str, str] = {
    "service_continuity": "pick up where the last contact left off (open issues, promises made)",
    "personalisation": "tailor how we talk to you (language, channel, preferences)",
    "recommendations": "suggest products or plans that fit you",
    "proactive_contact": "contact you before you need to contact us",
}
MEMORY_KINDS: tuple[str, ...] = ("preference", "fact", "history_highlight")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    max_poor: int
    window_days: int
    repeat_window_hours: int
    negative_sentiment: float
    half_life_days: float


class PolicyUpdate(_Strict):
    max_poor: int = Field(default=2, ge=1, le=50)
    window_days: int = Field(default=30, ge=1, le=365)
    repeat_window_hours: int = Field(default=72, ge=1, le=24 * 90)
    negative_sentiment: float = Field(default=-0.3, ge=-5, le=5)
    half_life_days: float = Field(default=30.0, gt=0, le=3650)


class ExperienceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    poor: bool
    occurred_at: datetime
    interaction_id: uuid.UUID | None
    intent: str | None
    origin: str
    reason: str = ""


class LedgerRead(BaseModel):
    customer_id: uuid.UUID
    score: float
    automation_averse: bool
    poor_in_window: int
    experiences: list[ExperienceRead]


class Reason(BaseModel):
    kind: str
    occurred_at: datetime
    interaction_id: uuid.UUID | None
    explanation: str


class RoutingAdvice(BaseModel):
    customer_id: uuid.UUID
    route: Literal["human_first", "automation_ok"]
    score: float
    poor_in_window: int
    policy: PolicyRead
    reasons: list[Reason]


class ConsentChange(_Strict):
    purpose: str = Field(min_length=1, max_length=50)
    granted: bool
    scope: list[MemoryKind] | None = Field(default=None, max_length=3)
    source_interaction_id: uuid.UUID | None = None


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    purpose: str
    granted: bool
    scope: list[str]
    updated_at: datetime


class ConsentEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    purpose: str
    action: str
    scope: list[str]
    source_interaction_id: uuid.UUID | None
    recorded_by: uuid.UUID | None
    #: the recording key's role and subject (the agent's code for agent and service keys), when the key is known
    recorded_by_role: str | None = None
    recorded_by_subject: str | None = None
    recorded_at: datetime


class ConsentView(BaseModel):
    customer_id: uuid.UUID
    consents: list[ConsentRead]
    history: list[ConsentEventRead]
    purposes: dict[str, str]


class MemoryCreate(_Strict):
    kind: MemoryKind
    content: str = Field(min_length=1, max_length=2000)
    purpose: str = Field(min_length=1, max_length=50)
    source_interaction_id: uuid.UUID | None = None
    reason: str = Field(min_length=1, max_length=500)
    retain_days: int = Field(default=365, ge=1, le=3650)


class MemoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    content: str
    purpose: str
    source_interaction_id: uuid.UUID
    reason: str
    created_at: datetime
    retain_until: datetime


class MemoryWhy(BaseModel):
    id: uuid.UUID
    purpose: str
    purpose_description: str
    reason: str
    source_interaction: dict[str, Any]
    consent: dict[str, Any] | None
    retain_until: datetime


class IndexPoint(BaseModel):
    bucket_start: datetime
    group: str | None
    customers: int
    averse: int
    averse_share: float
    recoveries: int


class ErasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    erased_at: datetime
    counts: dict[str, Any]
    already_erased: bool = False


class OriginalRead(BaseModel):
    seq: int
    text: str
