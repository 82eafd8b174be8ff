"""ORM tables of the pilots domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cxops.core.clock import utcnow
from cxops.core.db import Base, JSONType, UTCDateTime
from cxops.core.ids import new_id


class Pilot(Base):
    """A proof-of-value pilot: scope, treatment, randomised holdout and its statistical plan."""

    __tablename__ = "pilots_pilot"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    treatment: Mapped[str] = mapped_column(String(20))
    scope: Mapped[dict[str, Any]] = mapped_column(JSONType)
    holdout_share: Mapped[float] = mapped_column(Float)
    salt: Mapped[str] = mapped_column(String(64))
    baseline_rate: Mapped[float] = mapped_column(Float)
    mde: Mapped[float] = mapped_column(Float)
    alpha: Mapped[float] = mapped_column(Float)
    power: Mapped[float] = mapped_column(Float)
    looks: Mapped[list[float]] = mapped_column(JSONType)
    planned_n_per_arm: Mapped[int] = mapped_column(Integer)
    #: the plan it was created with (PlanOut: pre-period baseline, design effect, notes); None before plans read history
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    repeat_window_days: Mapped[int] = mapped_column(Integer)
    human_minute_cost: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PilotLook(Base):
    """One look at a running pilot's results; every look is recorded so alpha is spent honestly."""

    __tablename__ = "pilots_look"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    pilot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pilots_pilot.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    looked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fraction: Mapped[float] = mapped_column(Float)
    boundary: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(20))
    report: Mapped[dict[str, Any]] = mapped_column(JSONType)
