"""API schemas of the pilots domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intents: list[Code] = Field(default_factory=list, max_length=200)
    queues: list[Code] = Field(default_factory=list, max_length=200)
    regions: list[Code] = Field(default_factory=list, max_length=50)


class PlanIn(BaseModel):
    """The statistical plan: baseline rate of the primary metric and the smallest effect worth detecting."""

    model_config = ConfigDict(extra="forbid")
    baseline_rate: float = Field(gt=0, lt=1, description="current verified resolution rate, e.g. 0.60")
    mde: float = Field(gt=-1, lt=1, description="minimum detectable effect, e.g. 0.05 for +5 points")
    alpha: float = Field(default=0.05, gt=0, le=0.2)
    power: float = Field(default=0.85, ge=0.5, lt=1)
    looks: list[float] = Field(default_factory=lambda: [0.25, 0.5, 0.75, 1.0], min_length=1, max_length=10)
    holdout_share: float = Field(default=0.5, ge=0.05, le=0.95)

    @model_validator(mode="after")
    def _valid(self) -> PlanIn:
        if self.mde == 0:
            raise ValueError("mde must not be zero")
        if not 0 < self.baseline_rate + self.mde < 1:
            raise ValueError("baseline_rate + mde must lie strictly between 0 and 1")
        if self.looks[-1] != 1.0 or any(b <= a for a, b in zip(self.looks, self.looks[1:], strict=False)):
            raise ValueError("looks must increase and end at 1.0 (the full planned sample)")
        if any(not 0 < f <= 1 for f in self.looks):
            raise ValueError("looks must lie in (0, 1]")
        return self


class PlanOut(BaseModel):
    fixed_n_per_arm: int
    planned_n_per_arm: int
    total_n: int
    inflation_factor: float
    boundaries: list[float]
    power_at_planned_n: float


class PilotCreate(PlanIn):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    hypothesis: Annotated[str, StringConstraints(max_length=2000)] = ""
    treatment: Literal["ai_agent", "assist"]
    scope: Scope = Field(default_factory=Scope)
    repeat_window_days: int = Field(default=7, ge=1, le=90)
    human_minute_cost: float = Field(default=0.9, ge=0, le=100)
    starts_at: datetime
    ends_at: datetime | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamp needs a timezone offset")
        return value


class PilotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    hypothesis: str
    status: str
    treatment: str
    scope: dict[str, Any]
    holdout_share: float
    baseline_rate: float
    mde: float
    alpha: float
    power: float
    looks: list[float]
    planned_n_per_arm: int
    repeat_window_days: int
    starts_at: datetime
    ends_at: datetime | None
    decision: str | None


class LookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    seq: int
    looked_at: datetime
    fraction: float
    boundary: float
    decision: str
    report: dict[str, Any]


class Assignment(BaseModel):
    pilot_id: uuid.UUID
    customer_id: str
    arm: Literal["treatment", "control"]
    treatment: str
    active: bool
