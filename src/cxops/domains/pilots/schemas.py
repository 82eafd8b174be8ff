"""API schemas of the pilots domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intents: list[Code] = Field(default_factory=list, max_length=200)
    queues: list[Code] = Field(default_factory=list, max_length=200)
    regions: list[Code] = Field(default_factory=list, max_length=50)


class PlanIn(BaseModel):
    """The statistical plan: baseline rate of the primary metric and the smallest effect worth detecting.

    With a scope, the plan reads the scope's last `history_days` of contacts (the pre-period): the baseline
    verified resolution rate is measured there unless `baseline_rate` is given, and the intra-customer correlation
    of that outcome sets the design effect the sample size is multiplied by.
    """

    model_config = ConfigDict(extra="forbid")
    baseline_rate: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="current verified resolution rate, e.g. 0.60; measured from the scope's history when omitted",
    )
    mde: float = Field(gt=-1, lt=1, description="minimum detectable effect, e.g. 0.05 for +5 points")
    alpha: float = Field(default=0.05, gt=0, le=0.2)
    power: float = Field(default=0.85, ge=0.5, lt=1)
    looks: list[float] = Field(default_factory=lambda: [0.25, 0.5, 0.75, 1.0], min_length=1, max_length=10)
    holdout_share: float = Field(default=0.5, ge=0.05, le=0.95)
    scope: Scope | None = Field(
        default=None, description="the pilot's scope: its recent history gives the baseline and the design effect"
    )
    history_days: int = Field(
        default=28, ge=7, le=180, description="days of the scope's history (the pre-period) the plan reads"
    )
    repeat_window_days: int = Field(
        default=7, ge=1, le=90, description="a contact is verified resolved with no repeat within these days"
    )

    @field_validator("mde")
    @classmethod
    def _effect(cls, value: float, info: ValidationInfo) -> float:
        if value == 0:
            raise ValueError("mde must not be zero: give the smallest effect worth finding, e.g. 0.05 for +5 points")
        baseline = info.data.get("baseline_rate")
        if baseline is not None and not 0 < baseline + value < 1:
            raise ValueError(
                f"baseline_rate {baseline:g} + mde {value:g} = {baseline + value:g} must lie strictly between 0 and 1"
            )
        return value

    @field_validator("looks")
    @classmethod
    def _looks(cls, value: list[float]) -> list[float]:
        if any(not 0 < f <= 1 for f in value):
            raise ValueError("looks must lie in (0, 1]")
        if value[-1] != 1.0 or any(b <= a for a, b in pairwise(value)):
            raise ValueError("looks must increase and end at 1.0 (the full planned sample)")
        return value


class PlanOut(BaseModel):
    #: fixed-design contacts per arm for independent contacts (no looks, no clustering, equal arms)
    fixed_n_per_arm: int
    #: fixed_n_per_arm x inflation_factor x arm imbalance x design_effect, rounded up
    planned_n_per_arm: int
    total_n: int
    inflation_factor: float
    boundaries: list[float]
    power_at_planned_n: float
    baseline_rate: float = Field(description="the baseline the plan used")
    baseline_source: Literal["given", "measured"]
    baseline_measured: float | None = Field(description="verified resolution of the scope's history, if any")
    design_effect: float = Field(description="variance inflation of clustering by customer the size allows for")
    contacts_per_customer: float | None
    contacts_per_customer_weighted: float | None = Field(description="sum(n_i^2) / sum(n_i), the design effect's m")
    icc: float | None = Field(description="intra-customer correlation of verified resolution in the history")
    history_contacts: int = Field(description="history contacts with a closed repeat window the plan measured")
    history_customers: int
    history_from: datetime | None
    history_until: datetime | None
    notes: list[str]


class PilotCreate(PlanIn):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    hypothesis: Annotated[str, StringConstraints(max_length=2000)] = ""
    treatment: Literal["ai_agent", "assist"]
    scope: Scope = Field(default_factory=Scope)
    human_minute_cost: float = Field(default=0.9, ge=0, le=100)
    starts_at: datetime = Field(
        description="at most 90 days ahead (the plan is measured on the history up to now); with no baseline_rate, "
        "the scope needs contacts in the history_days before it"
    )
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
    plan: dict[str, Any] | None = Field(
        default=None, description="the plan it was created with (PlanOut); None for older pilots"
    )


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
