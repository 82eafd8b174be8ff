"""ORM tables of workforce management: forecast runs, staffing plans and schedules, each stored per run."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class ForecastRun(Base):
    """One forecast: its source, parameters, the model chosen per series and why."""

    __tablename__ = "wfm_forecast_run"
    __table_args__ = (Index("ix_wfm_forecast_run_org_created", "org_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str] = mapped_column(String(20))
    freq_min: Mapped[int] = mapped_column(Integer)
    horizon: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    choices: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ForecastPoint(Base):
    """One forecast interval of one series."""

    __tablename__ = "wfm_forecast_point"

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wfm_forecast_run.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    yhat: Mapped[float] = mapped_column(Float)
    lo_80: Mapped[float] = mapped_column(Float)
    hi_80: Mapped[float] = mapped_column(Float)
    lo_95: Mapped[float] = mapped_column(Float)
    hi_95: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(40))


class StaffingPlan(Base):
    """Agents required per interval for a forecast under service targets, after AI automation."""

    __tablename__ = "wfm_staffing_plan"
    __table_args__ = (Index("ix_wfm_staffing_plan_org_created", "org_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    forecast_run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wfm_forecast_run.id", ondelete="CASCADE"))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffingInterval(Base):
    """Requirement of one series (queue) in one interval."""

    __tablename__ = "wfm_staffing_interval"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wfm_staffing_plan.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    contacts: Mapped[float] = mapped_column(Float)
    human_contacts: Mapped[float] = mapped_column(Float)
    aht_s: Mapped[float] = mapped_column(Float)
    raw_agents: Mapped[int] = mapped_column(Integer)
    scheduled_agents: Mapped[int] = mapped_column(Integer)


class Schedule(Base):
    """A weekly schedule solved for a staffing plan, with its optimality evidence and coverage."""

    __tablename__ = "wfm_schedule"
    __table_args__ = (Index("ix_wfm_schedule_org_created", "org_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("wfm_staffing_plan.id", ondelete="SET NULL"))
    week_start: Mapped[datetime] = mapped_column(UTCDateTime)
    freq_min: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(80))
    cost: Mapped[float] = mapped_column(Float)
    lp_bound: Mapped[float] = mapped_column(Float)
    gap_ratio: Mapped[float] = mapped_column(Float)
    solve_s: Mapped[float] = mapped_column(Float)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    coverage: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Shift(Base):
    """One shift of one agent with its break."""

    __tablename__ = "wfm_shift"
    __table_args__ = (Index("ix_wfm_shift_schedule_agent", "schedule_id", "agent_code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wfm_schedule.id", ondelete="CASCADE"))
    agent_code: Mapped[str] = mapped_column(String(100))
    agent_group: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    break_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    break_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_hours: Mapped[float] = mapped_column(Float)
