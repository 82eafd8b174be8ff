"""Rules for schedules and intraday: solve and store a week, adherence, reforecast, what-if. Services never commit."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.errors import ValidationFailed
from cxops.core.repository import get_scoped
from cxops.domains.wfm import repository, schemas, service
from cxops.domains.wfm.compute import intraday
from cxops.domains.wfm.compute.demand import IntentDemand
from cxops.domains.wfm.compute.rosters import schedule_week
from cxops.domains.wfm.compute.schedule import AgentGroup, ShiftRules
from cxops.domains.wfm.compute.staffing import Targets, is_deferred
from cxops.domains.wfm.models import ForecastRun, Schedule, Shift, StaffingPlan


def _week_start(day: date) -> datetime:
    if day.weekday() != 0:
        raise ValidationFailed(
            f"week_start {day.isoformat()} is a {day.strftime('%A')}; give a Monday", field="week_start"
        )
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _requirement(session: Session, plan: StaffingPlan, start: datetime, freq_min: int) -> dict[str, np.ndarray]:
    per_week = 7 * 1440 // freq_min
    req: dict[str, np.ndarray] = {}
    for row in repository.staffing_intervals(session, plan.id):
        slot = int((row.ts - start).total_seconds() // (freq_min * 60))
        if 0 <= slot < per_week:
            req.setdefault(row.series_id, np.zeros(per_week))[slot] = row.scheduled_agents
    if not req:
        raise ValidationFailed(
            f"staffing plan {plan.id} has no interval in the week from {start.date()}", field="week_start"
        )
    return req


def _groups(session: Session, org_id: uuid.UUID, data: schemas.ScheduleCreate, skills: set[str]) -> list[AgentGroup]:
    rules = ShiftRules(**(data.rules.model_dump() | {"shift_lengths_min": tuple(data.rules.shift_lengths_min)}))
    if data.agents is not None:
        people = [(a.code, set(a.skills), a.availability) for a in data.agents]
    else:
        people = [(a.code, set(a.skills or []), None) for a in repository.human_agents(session, org_id)]
    buckets: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for code, own, avail in people:
        usable = frozenset(own & skills)
        if usable:
            key = (usable, tuple(sorted((avail or {}).items())) if avail is not None else None)
            buckets[key].append(code)
    if not buckets:
        raise ValidationFailed(
            f"no human agent has any of the required skills {sorted(skills)}; set agent skills "
            "to queue codes or list agents in the request",
            field="agents",
        )
    return [
        AgentGroup(
            "+".join(sorted(sk)) + (f"/avail{i}" if av is not None else ""),
            tuple(codes),
            sk,
            rules,
            dict(av) if av is not None else None,
        )
        for i, ((sk, av), codes) in enumerate(sorted(buckets.items(), key=lambda kv: sorted(kv[0][0])))
    ]


def create_schedule(session: Session, *, org_id: uuid.UUID, data: schemas.ScheduleCreate) -> Schedule:
    """Solve the week for the plan's requirement and store the schedule, its coverage and every shift."""
    plan = get_scoped(session, StaffingPlan, org_id, data.plan_id, "staffing plan")
    freq = session.get(ForecastRun, plan.forecast_run_id).freq_min  # type: ignore[union-attr]
    start = _week_start(data.week_start)
    required = _requirement(session, plan, start, freq)
    groups = _groups(session, org_id, data, set(required))
    result = schedule_week(groups, required, freq_min=freq, time_limit_s=data.time_limit_s)
    coverage = {
        "freq_min": freq,
        "skills": {
            k: {"required": v.tolist(), "scheduled": result.scheduled[k].round(3).tolist()}
            for k, v in result.required.items()
        },
        "on_duty": result.scheduled["_on_duty"].tolist(),
    }
    row = Schedule(
        org_id=org_id,
        plan_id=plan.id,
        week_start=start,
        freq_min=freq,
        status=result.status,
        cost=result.cost,
        lp_bound=result.lp_bound,
        gap_ratio=result.gap_ratio,
        solve_s=result.solve_s,
        params=data.model_dump(mode="json"),
        coverage=coverage,
        notes=result.notes,
    )
    session.add(row)
    session.flush()
    shifts = []
    for s in result.shifts:
        begin = start + timedelta(days=int(s["day"]), minutes=int(s["start_min"]))
        brk = start + timedelta(days=int(s["day"]), minutes=int(s["break_start_min"]))
        shifts.append(
            {
                "org_id": org_id,
                "schedule_id": row.id,
                "agent_code": s["agent_id"],
                "agent_group": s["group"],
                "starts_at": begin,
                "ends_at": begin + timedelta(minutes=int(s["length_min"])),
                "break_starts_at": brk,
                "break_ends_at": brk + timedelta(minutes=int(s["break_min"])),
                "paid_hours": float(s["paid_hours"]),
            }
        )
    repository.bulk_insert(session, Shift, shifts)
    return row


def adherence(
    session: Session, *, org_id: uuid.UUID, schedule_id: uuid.UUID, since: datetime, until: datetime
) -> dict[str, Any]:
    """Real-time adherence per agent over [since, until) from agent state events against the schedule."""
    sched = get_scoped(session, Schedule, org_id, schedule_id, "schedule")
    if until <= since or until - since > timedelta(days=8):
        raise ValidationFailed("the window must be positive and at most 8 days", field="until")
    plan: list[intraday.PlannedActivity] = []
    for s in repository.shifts(session, sched.id):
        plan += [
            intraday.PlannedActivity(s.agent_code, s.starts_at, s.break_starts_at, "work"),
            intraday.PlannedActivity(s.agent_code, s.break_starts_at, s.break_ends_at, "break"),
            intraday.PlannedActivity(s.agent_code, s.break_ends_at, s.ends_at, "work"),
        ]
    codes = sorted({p.agent for p in plan})
    rows = repository.state_events(session, org_id, codes, since - timedelta(hours=16), until)
    events = [intraday.StateEvent(c, st, t) for c, st, t in rows]
    per_agent = intraday.adherence(plan, events, start=since, end=until)
    scheduled = sum(a["scheduled_min"] for a in per_agent.values())
    inside = sum(a["in_adherence_min"] for a in per_agent.values())
    return {
        "schedule_id": str(sched.id),
        "since": since,
        "until": until,
        "adherence": inside / scheduled if scheduled else None,
        "agents": per_agent,
    }


def reforecast(session: Session, *, org_id: uuid.UUID, run_id: uuid.UUID, data: schemas.ReforecastIn) -> dict[str, Any]:
    """The rest of `day` for one series, scaled by the morning's actual volume."""
    run = get_scoped(session, ForecastRun, org_id, run_id, "forecast run")
    day0 = datetime(data.day.year, data.day.month, data.day.day, tzinfo=UTC)
    points = [
        p
        for p in repository.forecast_points(session, run.id)
        if p.series_id == data.series_id and day0 <= p.ts < day0 + timedelta(days=1)
    ]
    if not points:
        raise ValidationFailed(f"run {run.id} has no forecast for {data.series_id!r} on {data.day}", field="day")
    until = data.until or utcnow()
    elapsed = [p for p in points if p.ts + timedelta(minutes=run.freq_min) <= until]
    counts: dict[datetime, float] = defaultdict(float)
    for row in repository.contacts(session, org_id, day0, until, [data.series_id]):
        ts = row[1].replace(tzinfo=UTC) if row[1].tzinfo is None else row[1]
        slot = day0 + timedelta(minutes=(int((ts - day0).total_seconds()) // 60) // run.freq_min * run.freq_min)
        counts[slot] += 1
    actual = np.array([counts.get(p.ts, 0.0) for p in elapsed])
    rest, ratio, why = intraday.reforecast(
        np.array([p.yhat for p in points]), actual, prior_contacts=data.prior_contacts
    )
    return {
        "series_id": data.series_id,
        "ratio": ratio,
        "explanation": why,
        "elapsed": [{"ts": p.ts, "forecast": p.yhat, "actual": float(a)} for p, a in zip(elapsed, actual, strict=True)],
        "remaining": [
            {"ts": p.ts, "forecast": p.yhat, "reforecast": float(r)}
            for p, r in zip(points[len(elapsed) :], rest, strict=True)
        ],
    }


def what_if(session: Session, *, org_id: uuid.UUID, plan_id: uuid.UUID, data: schemas.WhatIfIn) -> dict[str, Any]:
    """Agents per interval under a scenario versus the plan, per series (answered in well under a second)."""
    plan = get_scoped(session, StaffingPlan, org_id, plan_id, "staffing plan")
    params = schemas.StaffingCreate.model_validate(plan.params)
    freq = session.get(ForecastRun, plan.forecast_run_id).freq_min  # type: ignore[union-attr]
    scenario = intraday.WhatIf(data.volume_factor, data.automation_delta or None, data.shrinkage, data.aht_factor)
    out: dict[str, Any] = {}
    by_series: dict[str, list[Any]] = {}
    for r in repository.staffing_intervals(session, plan.id):
        by_series.setdefault(r.series_id, []).append(r)
    series = sorted(by_series)
    automation = service.intents_by_queue(
        session, org_id=org_id, queues=series, days=params.automation_days, verify_days=params.verify_days
    )
    directory = repository.queue_targets(session, org_id, series)
    for sid in series:
        targets, deferred = _plan_targets(plan, params, sid, directory, freq * 60.0)
        mine = by_series[sid]
        intents, notes = automation[sid]
        if not intents:
            aht = params.aht_s or service.DEFAULT_AHT_S
            intents = [IntentDemand("all", 1.0, 0.0, 0.0, aht, aht, 0.0)]
        unknown = sorted(set(data.automation_delta) - {i.intent for i in intents})
        delta = {k: v for k, v in data.automation_delta.items() if k not in unknown}
        res = intraday.what_if(
            np.array([r.contacts for r in mine]),
            intents,
            targets,
            freq * 60.0,
            intraday.WhatIf(scenario.volume_factor, delta, scenario.shrinkage, scenario.aht_factor),
            deferred=deferred,
            starts_s=service.starts_s([r.ts for r in mine]),
        )
        out[sid] = {
            "agent_hours_delta": res["agent_hours_delta"],
            "notes": notes,
            "ignored_intents": unknown,
            "intervals": [
                {"ts": r.ts, "base_agents": int(b), "scenario_agents": int(s)}
                for r, b, s in zip(mine, res["base_agents"], res["scenario_agents"], strict=True)
            ],
        }
    if data.automation_delta and all(v["ignored_intents"] == sorted(data.automation_delta) for v in out.values()):
        raise ValidationFailed(
            f"no queue of the plan has intent(s) {sorted(data.automation_delta)}", field="automation_delta"
        )
    return {"plan_id": str(plan.id), "scenario": data.model_dump(), "series": out}


def _plan_targets(
    plan: StaffingPlan,
    params: schemas.StaffingCreate,
    sid: str,
    directory: dict[str, tuple[float, float, bool]],
    interval_s: float,
) -> tuple[Targets, bool]:
    """The target the plan staffed `sid` to (its summary says; a plan older than per-queue targets is resolved
    from its parameters) and whether it was staffed as deferred work."""
    stored = (plan.summary.get(sid) or {}).get("targets")
    resolved = stored if stored is not None else service.series_targets(params, sid, directory)
    t = params.targets
    targets = Targets(
        resolved["service_level"], resolved["threshold_s"], t.max_occupancy, resolved["asa_s"], t.shrinkage
    )
    method = resolved.get("method")
    return targets, (method == "deferred") if method is not None else is_deferred(targets.threshold_s, interval_s)
