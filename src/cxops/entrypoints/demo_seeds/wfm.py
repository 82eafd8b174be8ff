"""Demo seed for workforce management: volume and handle-time forecasts, a staffing plan and next week's schedule.

Everything goes through the WFM services, as `cxops wfm forecast|staff|schedule` and /v1/wfm do:
`service.create_forecast` (volume, then handle time) from the demo interactions, `service.create_staffing` from
them (Erlang C, 80% answered in 20 s, shrinkage 0.3, AI automation per intent applied by the domain), and
`operations.create_schedule` for the Monday-to-Sunday week after the history, with the directory's human agents
(their skills are queue codes).

The demo plans the five voice queues only: one set of service targets fits them (chat, messaging and e-mail have
their own), and it keeps the forecasts and the schedule solve quick.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.clock import as_utc
from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.core.errors import CxopsError, ValidationFailed
from cxops.domains.directory.public import Queue
from cxops.domains.interactions.public import Interaction
from cxops.domains.wfm import operations, schemas, service
from cxops.domains.wfm import repository as wfm_repository
from cxops.domains.wfm.models import ForecastPoint, ForecastRun, Schedule, StaffingPlan

VOICE_QUEUES = ["voice-billing", "voice-bookings", "voice-care", "voice-orders", "voice-tech"]
FREQ_MIN = 30
HISTORY_DAYS = 56
ORIGINS = 8
SCHEDULE_TIME_LIMIT_S = 20.0
TARGETS = schemas.TargetsIn(max_occupancy=0.85, shrinkage=0.3)  # service targets: each queue's own, from the directory


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Forecast the voice queues, staff them and schedule the next full week (idempotent)."""
    with unit_of_work(factory) as session:
        last_day = _last_day(session, org_id)
    if last_day is None:
        return "WFM: no voice interactions to forecast from; nothing added"
    steps = _Steps(factory)
    volume = _forecast_step(steps, org_id, "volume", last_day)
    with unit_of_work(factory) as session:
        plan_id = _latest(session, StaffingPlan, StaffingPlan.forecast_run_id == volume)
    if plan_id is None:
        plan_id = _staffing(steps, org_id, volume, last_day)
    schedule_id = steps.ensure(
        "schedule",
        lambda s: _latest(s, Schedule, Schedule.plan_id == plan_id),
        lambda s: operations.create_schedule(s, org_id=org_id, data=_schedule(s, plan_id, volume)).id,
    )
    return _summary(factory, plan_id, schedule_id, steps)


class _Steps:
    """Runs each step once: finds what an earlier call made, or makes it in its own transaction and times it."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.added: dict[str, float] = {}
        self.notes: list[str] = []

    def ensure(
        self, label: str, find: Callable[[Session], uuid.UUID | None], make: Callable[[Session], uuid.UUID]
    ) -> uuid.UUID:
        with unit_of_work(self.factory) as session:
            found = find(session)
        if found is not None:
            return found
        started = time.perf_counter()
        with unit_of_work(self.factory) as session:
            made = make(session)
        self.added[label] = time.perf_counter() - started
        return made


def _forecast_step(steps: _Steps, org_id: uuid.UUID, metric: str, last_day: datetime) -> uuid.UUID:
    def find(session: Session) -> uuid.UUID | None:
        return _run(session, org_id, metric)

    def make(session: Session) -> uuid.UUID:
        return service.create_forecast(session, org_id=org_id, data=_forecast(metric, last_day)).id

    return steps.ensure(f"{metric} forecast", find, make)


def _staffing(steps: _Steps, org_id: uuid.UUID, volume: uuid.UUID, last_day: datetime) -> uuid.UUID:
    """The staffing plan, with the handle-time forecast per interval where there is one, else AHT from history."""
    handle: uuid.UUID | None = None
    try:
        handle = _forecast_step(steps, org_id, "aht", last_day)
    except CxopsError as exc:  # too few calls per interval (a small demo)
        steps.notes.append(f"no handle-time forecast ({exc.message})")
    try:
        return _plan(steps, org_id, volume, handle)
    except CxopsError as exc:
        if handle is None:
            raise
        steps.notes.append(f"handle-time forecast not used ({exc.message})")
        return _plan(steps, org_id, volume, None)


def _plan(steps: _Steps, org_id: uuid.UUID, volume: uuid.UUID, handle: uuid.UUID | None) -> uuid.UUID:
    data = schemas.StaffingCreate(forecast_run_id=volume, aht_run_id=handle, targets=TARGETS)
    return steps.ensure(
        "staffing plan", lambda s: None, lambda s: service.create_staffing(s, org_id=org_id, data=data).id
    )


def _forecast(metric: str, last_day: datetime) -> schemas.ForecastCreate:
    """The demo's forecast of `metric` through the Monday-to-Sunday week after `last_day` (the last day of history).

    The forecaster starts on the day after the last day it keeps: the last day itself when a day still under way is
    dropped as partial, so the horizon counts from `last_day`; handle time (whose days keep fewer intervals) gets two
    days more, so that it covers every interval of the volume forecast.
    """
    end = _week_start(last_day + timedelta(days=1)) + timedelta(days=7)
    extra = timedelta(days=2) if metric == "aht" else timedelta(0)
    return schemas.ForecastCreate(
        source="interactions",
        metric=metric,
        freq_min=FREQ_MIN,
        horizon=int((end + extra - last_day) / timedelta(minutes=FREQ_MIN)),
        history_days=HISTORY_DAYS,
        queues=VOICE_QUEUES,
        origins=ORIGINS,
    )


def _run(session: Session, org_id: uuid.UUID, metric: str) -> uuid.UUID | None:
    """The demo's forecast run of `metric` (marked by its parameters: interactions of the voice queues)."""
    for run in session.scalars(
        select(ForecastRun)
        .where(ForecastRun.org_id == org_id, ForecastRun.source == "interactions", ForecastRun.metric == metric)
        .order_by(ForecastRun.created_at)
    ):
        params = run.params or {}
        if run.freq_min == FREQ_MIN and params.get("queues") == VOICE_QUEUES and params.get("origins") == ORIGINS:
            return run.id
    return None


def _latest(session: Session, model: type[StaffingPlan] | type[Schedule], where: Any) -> uuid.UUID | None:
    return session.scalar(select(model.id).where(where).order_by(model.created_at.desc()).limit(1))


def _last_day(session: Session, org_id: uuid.UUID) -> datetime | None:
    """Midnight (UTC) of the day of the voice queues' last contact."""
    last = session.scalar(
        select(func.max(Interaction.started_at))
        .join(Queue, Queue.id == Interaction.queue_id)
        .where(Interaction.org_id == org_id, Queue.code.in_(VOICE_QUEUES))
    )
    if last is None:
        return None
    return as_utc(last).replace(hour=0, minute=0, second=0, microsecond=0)


def _week_start(first: datetime) -> datetime:
    """The first Monday 00:00 UTC at or after `first`."""
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    if day < first:
        day += timedelta(days=1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _schedule(session: Session, plan_id: uuid.UUID, volume: uuid.UUID) -> schemas.ScheduleCreate:
    """The week after the forecast's first interval, for the directory's human agents."""
    first = session.scalar(select(func.min(ForecastPoint.ts)).where(ForecastPoint.run_id == volume))
    if first is None:
        raise ValidationFailed(f"forecast run {volume} has no interval to schedule", field="forecast_run_id")
    week = _week_start(as_utc(first)).date()
    return schemas.ScheduleCreate(plan_id=plan_id, week_start=week, time_limit_s=SCHEDULE_TIME_LIMIT_S)


def _summary(factory: sessionmaker[Session], plan_id: uuid.UUID, schedule_id: uuid.UUID, steps: _Steps) -> str:
    with unit_of_work(factory) as session:
        plan = session.get(StaffingPlan, plan_id)
        sched = session.get(Schedule, schedule_id)
        assert plan is not None and sched is not None
        peak = max((int(v.get("peak_agents", 0)) for v in (plan.summary or {}).values()), default=0)
        shifts = wfm_repository.shifts(session, sched.id)
        week, status, gap = sched.week_start.date().isoformat(), sched.status, sched.gap_ratio
        aht = "volume and AHT" if plan.params.get("aht_run_id") else "volume; AHT from history"
    what = (
        f"{len(VOICE_QUEUES)} voice queues forecast ({aht}, {FREQ_MIN}-min intervals), staffing plan at "
        f"80% in 20 s with shrinkage 0.3 (peak {peak} agents on a queue), schedule for the week of {week}: "
        f"{len(shifts):,} shifts, {sum(s.paid_hours for s in shifts):,.0f} paid hours ({status}, gap {gap:.1%})"
    )
    if not steps.added:
        return f"WFM: already planned: {what}; nothing added"
    took = ", ".join(f"{k} {v:.0f} s" for k, v in steps.added.items())
    notes = "".join(f"; {n}" for n in steps.notes)
    return f"WFM: {what}; added in {sum(steps.added.values()):.0f} s ({took}){notes}"
