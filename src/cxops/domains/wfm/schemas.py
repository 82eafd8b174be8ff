"""API schemas of workforce management (XCreate / XRead)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SpecialDay(_In):
    date: date
    kind: str = Field(min_length=1, max_length=40, description="'closed', or any label: holiday, campaign, ...")


class ForecastCreate(_In):
    """Forecast contact volume or handle time per queue from interactions, or any series from a CSV."""

    source: Literal["interactions", "csv"] = "interactions"
    csv: str | None = Field(default=None, max_length=20_000_000, description="'series_id,ts,y' with a header row")
    metric: Literal["volume", "aht"] = "volume"
    freq_min: Literal[15, 30, 60] = 30
    horizon: int = Field(default=336, ge=1, le=20_000, description="intervals to forecast per series")
    history_days: int = Field(default=182, ge=1, le=1100)
    queues: list[str] | None = Field(default=None, max_length=200)
    duplicates: Literal["error", "sum", "mean", "last"] = "error"
    special_days: list[SpecialDay] = Field(default_factory=list, max_length=2000)
    models: list[str] | None = Field(default=None, max_length=10)
    origins: int = Field(default=8, ge=2, le=52)


class ForecastRunRead(_Out):
    id: uuid.UUID
    source: str
    metric: str
    freq_min: int
    horizon: int
    params: dict[str, Any]
    choices: dict[str, Any]
    created_at: datetime


class ForecastPointRead(_Out):
    series_id: str
    ts: datetime
    yhat: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float
    model: str


class ForecastDetail(ForecastRunRead):
    points: list[ForecastPointRead]
    actuals: list[dict[str, Any]]


#: The longest service-level threshold a target may name (the directory's queues allow as much).
MAX_THRESHOLD_S = 86_400.0


def _threshold(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise ValueError(
            f"answered within {value:g} s is meaningless: a service level counts the contacts answered within a "
            "positive time; give at least 1 second (e.g. 20 for calls, 86400 for e-mail)"
        )
    return value


Threshold = Annotated[float | None, AfterValidator(_threshold)]


class QueueTargetsIn(_In):
    """One queue's service target, over the request's `targets` and the directory's; empty fields fall through."""

    service_level: float | None = Field(default=None, ge=0, le=1, description="share answered within threshold_s")
    threshold_s: Threshold = Field(default=None, le=MAX_THRESHOLD_S, description="seconds, > 0")
    asa_s: float | None = Field(default=None, ge=0, le=86_400)


class TargetsIn(_In):
    """Service targets. Impossible ones (100% within any time, ASA 0 s) are refused with the reason.

    `service_level` and `threshold_s` apply to every queue when given; left out, each queue is staffed to its own
    directory target (80% within 20 s for a series without a directory queue).
    """

    service_level: float | None = Field(
        default=None, ge=0, le=1, description="for every queue; default: each queue's directory target"
    )
    threshold_s: Threshold = Field(
        default=None, le=MAX_THRESHOLD_S, description="seconds, > 0, for every queue; default: each queue's"
    )
    max_occupancy: float = Field(default=0.85, gt=0, le=1)
    asa_s: float | None = Field(default=None, ge=0, le=86_400)
    shrinkage: float = Field(default=0.3, ge=0, lt=1)


class StaffingCreate(_In):
    """Agents per interval for a volume forecast, after AI automation of each intent.

    Each series is staffed to, field by field: `queue_targets[series]`, then `targets`, then its directory queue's
    target, then 80% within 20 s; the plan's summary says which target each series used and where it came from.
    """

    forecast_run_id: uuid.UUID
    aht_s: float | None = Field(default=None, gt=0, le=86_400, description="default: human AHT from interactions")
    aht_run_id: uuid.UUID | None = Field(default=None, description="a handle-time forecast run to use per interval")
    targets: TargetsIn = Field(default_factory=TargetsIn)
    queue_targets: dict[str, QueueTargetsIn] = Field(
        default_factory=dict, max_length=200, description="series (queue code) -> its own target, over `targets`"
    )
    model: Literal["erlang_c", "erlang_a"] = "erlang_c"
    patience_s: float | None = Field(default=None, gt=0, le=86_400)
    apply_automation: bool = True
    automation_days: int = Field(default=56, ge=7, le=730)
    verify_days: int = Field(default=7, ge=1, le=90)


class StaffingRead(_Out):
    id: uuid.UUID
    forecast_run_id: uuid.UUID
    params: dict[str, Any]
    summary: dict[str, Any]
    created_at: datetime


class StaffingIntervalRead(_Out):
    series_id: str
    ts: datetime
    contacts: float
    human_contacts: float
    aht_s: float
    raw_agents: int
    scheduled_agents: int


class StaffingDetail(StaffingRead):
    intervals: list[StaffingIntervalRead]


class RulesIn(_In):
    shift_lengths_min: list[int] = Field(default_factory=lambda: [480], min_length=1, max_length=6)
    start_step_min: int = Field(default=30, ge=5, le=240)
    break_min: int = Field(default=30, ge=0, le=120)
    break_after_min: int = Field(default=120, ge=0, le=720)
    break_before_min: int = Field(default=330, ge=0, le=720)
    max_weekly_hours: float = Field(default=40, gt=0, le=80)
    min_days_off: int = Field(default=2, ge=0, le=6)
    min_rest_hours: float = Field(default=11, ge=0, le=24)
    cost_per_hour: float = Field(default=1.0, gt=0, le=10_000)


class AgentIn(_In):
    code: str = Field(min_length=1, max_length=100)
    skills: list[str] = Field(min_length=1, max_length=50)
    availability: dict[int, tuple[int, int]] | None = Field(
        default=None, description="weekday (0 = Monday) -> [from, to) minutes of the day; other days unavailable"
    )


class ScheduleCreate(_In):
    """A weekly schedule for a staffing plan; agents from the directory (human, active) unless listed."""

    plan_id: uuid.UUID
    week_start: date = Field(description="a Monday")
    agents: list[AgentIn] | None = Field(default=None, max_length=5000)
    rules: RulesIn = Field(default_factory=RulesIn)
    time_limit_s: float = Field(default=60, gt=0, le=600)


class ShiftRead(_Out):
    agent_code: str
    agent_group: str
    starts_at: datetime
    ends_at: datetime
    break_starts_at: datetime
    break_ends_at: datetime
    paid_hours: float


class ScheduleRead(_Out):
    id: uuid.UUID
    plan_id: uuid.UUID | None
    week_start: datetime
    freq_min: int
    status: str
    cost: float
    lp_bound: float
    gap_ratio: float
    solve_s: float
    notes: list[str]
    created_at: datetime


class ScheduleDetail(ScheduleRead):
    coverage: dict[str, Any]
    shifts: list[ShiftRead]


class WhatIfIn(_In):
    volume_factor: float = Field(default=1.0, ge=0, le=10)
    automation_delta: dict[str, float] = Field(default_factory=dict, description="intent -> +points, 0.10 = +10")
    shrinkage: float | None = Field(default=None, ge=0, lt=1)
    aht_factor: float = Field(default=1.0, gt=0, le=10)


class ReforecastIn(_In):
    series_id: str = Field(min_length=1, max_length=100)
    day: date
    until: datetime | None = Field(default=None, description="end of the elapsed part; default now")
    prior_contacts: float = Field(default=200, ge=0, le=1e6)
