"""Rules of workforce management: forecast runs and AI-aware staffing plans, stored per run. Services never commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.errors import ValidationFailed
from cxops.core.repository import get_scoped
from cxops.domains.wfm import history, repository, schemas
from cxops.domains.wfm.compute.demand import IntentDemand, automation_shares, human_workload
from cxops.domains.wfm.compute.forecast_select import AutoForecaster
from cxops.domains.wfm.compute.staffing import (
    StaffingTargetError,
    Targets,
    is_deferred,
    staff_deferred,
    staff_erlang_a,
    staff_erlang_c,
    with_shrinkage,
)
from cxops.domains.wfm.models import ForecastPoint, ForecastRun, StaffingInterval, StaffingPlan

DEFAULT_AHT_S = 300.0


def _utc(ts: Any) -> datetime:
    return pd.Timestamp(ts).to_pydatetime().replace(tzinfo=UTC)


def load_history(session: Session, *, org_id: uuid.UUID, data: schemas.ForecastCreate) -> pd.DataFrame:
    """The long table to forecast: from the interactions table or the uploaded CSV."""
    if data.source == "csv":
        if not data.csv:
            raise ValidationFailed("source 'csv' needs the csv field (series_id,ts,y)", field="csv")
        return history.csv_history(data.csv)
    since = utcnow() - timedelta(days=data.history_days)
    rows = repository.contacts(session, org_id, since, None, data.queues)
    return history.series_history(history.frame(rows), metric=data.metric, freq_min=data.freq_min)


def create_forecast(session: Session, *, org_id: uuid.UUID, data: schemas.ForecastCreate) -> ForecastRun:
    """Fit a model per series (chosen by backtest, with explained fallbacks) and store the run and its points."""
    df = load_history(session, org_id=org_id, data=data)
    specials = pd.DataFrame([s.model_dump() for s in data.special_days], columns=["date", "kind"])
    models = tuple(data.models) if data.models else None
    auto = AutoForecaster(
        freq_min=data.freq_min,
        duplicates=data.duplicates,
        origins=data.origins,
        **({"models": models} if models else {}),
    )
    auto.fit(df, special_days=specials)
    out = auto.predict(data.horizon)
    choices = {
        sid: {"model": c.model, "mase": c.scores, "origins": c.origins, "fallback": c.fallback, "notes": c.notes}
        for sid, c in auto.choices_.items()
    }
    params = data.model_dump(mode="json", exclude={"csv"}) | {"history_rows": len(df)}
    run = ForecastRun(
        org_id=org_id,
        source=data.source,
        metric=data.metric,
        freq_min=data.freq_min,
        horizon=data.horizon,
        params=params,
        choices=choices,
    )
    session.add(run)
    session.flush()
    rows = [
        {
            "run_id": run.id,
            "org_id": org_id,
            "series_id": r.series_id,
            "ts": _utc(r.ts),
            "yhat": float(r.yhat),
            "lo_80": float(r.lo_80),
            "hi_80": float(r.hi_80),
            "lo_95": float(r.lo_95),
            "hi_95": float(r.hi_95),
            "model": r.model,
        }
        for r in out.itertuples(index=False)
    ]
    repository.bulk_insert(session, ForecastPoint, rows)
    return run


def actuals(session: Session, *, org_id: uuid.UUID, run: ForecastRun, days_back: int = 14) -> list[dict[str, Any]]:
    """Observed volumes of the run's series over the last `days_back` days of history plus the horizon so far."""
    if run.source != "interactions" or run.metric != "volume":
        return []
    since = run.created_at - timedelta(days=days_back)
    rows = repository.contacts(session, org_id, since, None, list(run.choices))
    if not rows:
        return []
    df = history.series_history(history.frame(rows), metric="volume", freq_min=run.freq_min)
    return [{"series_id": r.series_id, "ts": _utc(r.ts), "y": float(r.y)} for r in df.itertuples(index=False)]


def intents_for(
    session: Session, *, org_id: uuid.UUID, queue: str, days: int, verify_days: int
) -> tuple[list[IntentDemand], list[str]]:
    """Automation and escalation shares per intent of one queue from recent interactions."""
    return intents_by_queue(session, org_id=org_id, queues=[queue], days=days, verify_days=verify_days)[queue]


def intents_by_queue(
    session: Session, *, org_id: uuid.UUID, queues: list[str], days: int, verify_days: int
) -> dict[str, tuple[list[IntentDemand], list[str]]]:
    """`intents_for` of several queues from one read of their recent interactions (not one read per queue).

    A resolution is verified per queue, as for one queue alone: a later contact on the same intent in another
    queue does not undo it.
    """
    if not queues:
        return {}
    now = utcnow()
    rows = repository.contacts(session, org_id, now - timedelta(days=days), None, sorted(set(queues)))
    df = history.frame(rows)
    parts = {str(q): part for q, part in df.groupby("queue", sort=False)}
    out: dict[str, tuple[list[IntentDemand], list[str]]] = {}
    for queue in queues:
        part = parts.get(queue, df.iloc[:0])
        hist = history.automation_history(part, now=now, verify_days=verify_days)
        if hist.empty:
            out[queue] = (
                [],
                [f"queue {queue!r}: no interactions in the last {days} days, so no automation share is applied"],
            )
        else:
            out[queue] = automation_shares(hist, default_aht_s=DEFAULT_AHT_S), []
    return out


#: The target of a series with no directory queue and none in the request.
DEFAULT_SERVICE_LEVEL = 0.8
DEFAULT_THRESHOLD_S = 20.0


def _hms(seconds: float) -> str:
    """20 s, 5 min, 24 h: a threshold as people say it."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def series_targets(
    data: schemas.StaffingCreate, sid: str, directory: dict[str, tuple[float, float, bool]]
) -> dict[str, Any]:
    """The target one series is staffed to, field by field, and where each part came from.

    Order: `queue_targets[sid]`, then `targets` (every queue), then the directory queue `sid`, then 80% within
    20 s. A directory target no staffing can use (100%, or a threshold of 0 s) is skipped with a note.
    """
    own = data.queue_targets.get(sid)
    notes: list[str] = []
    found = directory.get(sid)
    queue_sl: float | None = None
    queue_t: float | None = None
    if found is not None:
        pct, thr, auto = found
        if 0 <= pct < 100 and thr > 0:
            queue_sl, queue_t = pct / 100, thr
            if auto:
                notes.append(
                    f"queue {sid!r} was created by ingestion with the default target; set its own in the directory"
                )
        else:
            notes.append(
                f"the directory target of queue {sid!r} ({pct:g}% within {thr:g} s) cannot be staffed to: ignored"
            )
    out: dict[str, Any] = {"source": {}}
    for name, queue_value, default in (
        ("service_level", queue_sl, DEFAULT_SERVICE_LEVEL),
        ("threshold_s", queue_t, DEFAULT_THRESHOLD_S),
        ("asa_s", None, None),
    ):
        for value, source in (
            (getattr(own, name) if own is not None else None, f"queue_targets.{sid}.{name}"),
            (getattr(data.targets, name), f"targets.{name}"),
            (queue_value, "directory"),
            (default, "default"),
        ):
            if value is not None:
                out[name], out["source"][name] = value, source
                break
        else:
            out[name] = None
    out["notes"] = notes
    return out


def _describe(sid: str, t: dict[str, Any], method: str) -> str:
    """Which target a series used and where it came from, for its notes."""
    where = {
        "directory": f"the directory queue {sid!r}",
        "default": f"the default (no directory queue {sid!r} and none in the request)",
    }
    src = t["source"]
    origin = [where.get(src[k], f"the request ({src[k]})") for k in ("service_level", "threshold_s")]
    said = origin[0] if origin[0] == origin[1] else f"{origin[0]} (service level) and {origin[1]} (threshold)"
    text = f"target {t['service_level']:.0%} answered within {_hms(t['threshold_s'])}, from {said}"
    if t["asa_s"] is not None:
        text += f"; average speed of answer at most {t['asa_s']:g} s ({src['asa_s']})"
    return text + f"; staffed with {METHODS[method]}"


METHODS = {
    "erlang_c": "Erlang C per interval",
    "erlang_a": "Erlang A per interval (with abandonment)",
    "deferred": "the deferred-work model (workload spread over the threshold, checked by a FIFO backlog)",
}


def _as_targets(data: schemas.StaffingCreate, t: dict[str, Any]) -> Targets:
    return Targets(t["service_level"], t["threshold_s"], data.targets.max_occupancy, t["asa_s"], data.targets.shrinkage)


def _check_targets(targets: Targets, source: dict[str, str]) -> None:
    """`Targets.check`, with the error naming the request field the bad value came from."""
    try:
        targets.check()
    except StaffingTargetError as exc:
        field = source.get(exc.field or "", f"targets.{exc.field}")
        raise ValidationFailed(exc.message, field=field) from None


def starts_s(stamps: list[datetime]) -> np.ndarray:
    """Interval starts in seconds from the first (a series with closed hours has gaps)."""
    if not stamps:
        return np.zeros(0)
    return np.array([(ts - stamps[0]).total_seconds() for ts in stamps])


def _staff(
    data: schemas.StaffingCreate,
    targets: Targets,
    calls: np.ndarray,
    aht: np.ndarray,
    interval_s: float,
    stamps: list[datetime],
) -> tuple[str, np.ndarray, np.ndarray, float | None]:
    """(method, raw agents, scheduled agents, share answered within the threshold for deferred work)."""
    if is_deferred(targets.threshold_s, interval_s):
        res = staff_deferred(calls, aht, interval_s, targets, starts_s(stamps))
        return "deferred", res.raw, res.scheduled, res.answered_within
    if data.model == "erlang_a":
        if data.patience_s is None:
            raise ValidationFailed("model 'erlang_a' needs patience_s (mean caller patience)", field="patience_s")
        raw = staff_erlang_a(calls, aht, interval_s, data.patience_s, targets)
        return "erlang_a", raw, with_shrinkage(raw, targets.shrinkage), None
    raw = staff_erlang_c(calls, aht, interval_s, targets)
    return "erlang_c", raw, with_shrinkage(raw, targets.shrinkage), None


def create_staffing(session: Session, *, org_id: uuid.UUID, data: schemas.StaffingCreate) -> StaffingPlan:
    """Human workload after automation per interval, and the agents it needs under each series' target."""
    run = get_scoped(session, ForecastRun, org_id, data.forecast_run_id, "forecast run")
    if run.metric != "volume":
        raise ValidationFailed(
            f"forecast run {run.id} forecasts {run.metric}; staffing needs a volume forecast", field="forecast_run_id"
        )
    if data.model == "erlang_a" and data.patience_s is None:
        raise ValidationFailed("model 'erlang_a' needs patience_s (mean caller patience)", field="patience_s")
    points = repository.forecast_points(session, run.id)
    by_series: dict[str, list[ForecastPoint]] = {}
    for p in points:
        by_series.setdefault(p.series_id, []).append(p)
    series = sorted(by_series)
    unknown = sorted(set(data.queue_targets) - set(series))
    if unknown:
        raise ValidationFailed(
            f"queue_targets names {unknown[0]!r}, which forecast run {run.id} does not forecast "
            f"(its series: {', '.join(series) or 'none'})",
            field=f"queue_targets.{unknown[0]}",
        )
    directory = repository.queue_targets(session, org_id, series)
    interval_s = run.freq_min * 60.0
    resolved = {sid: series_targets(data, sid, directory) for sid in series}
    for t in resolved.values():
        _check_targets(_as_targets(data, t), t["source"])
    plan = StaffingPlan(org_id=org_id, forecast_run_id=run.id, params=data.model_dump(mode="json"), summary={})
    session.add(plan)
    session.flush()
    summary: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    aht_points = _aht_points(session, org_id=org_id, data=data, run=run)
    automation = (
        intents_by_queue(session, org_id=org_id, queues=series, days=data.automation_days, verify_days=data.verify_days)
        if data.apply_automation
        else {}
    )
    for sid in series:
        mine = by_series[sid]
        totals = np.array([p.yhat for p in mine])
        calls, aht, info = _human_demand(data, automation.get(sid), totals)
        if aht_points is not None:
            aht = _aht_from_run(aht_points, sid, [p.ts for p in mine])
            info["notes"].append(f"handle time per interval from forecast run {data.aht_run_id}")
        t = resolved[sid]
        method, raw, sched, within = _staff(data, _as_targets(data, t), calls, aht, interval_s, [p.ts for p in mine])
        info["notes"] = [_describe(sid, t, method), *t["notes"], *info["notes"]]
        if method == "deferred":
            info["notes"].append(_deferred_note(t, within, calls, aht, sched, interval_s, data.targets.shrinkage))
        summary[sid] = info | {
            "agent_hours": float(sched.sum() * run.freq_min / 60),
            "peak_agents": int(sched.max(initial=0)),
            "contacts": float(totals.sum()),
            "human_contacts": float(calls.sum()),
            "targets": {k: t[k] for k in ("service_level", "threshold_s", "asa_s", "source")} | {"method": method},
        }
        if within is not None:
            summary[sid]["answered_within_threshold"] = round(within, 4)
        rows += [
            {
                "plan_id": plan.id,
                "org_id": org_id,
                "series_id": sid,
                "ts": p.ts,
                "contacts": float(v),
                "human_contacts": float(c),
                "aht_s": float(a),
                "raw_agents": int(r),
                "scheduled_agents": int(s),
            }
            for p, v, c, a, r, s in zip(mine, totals, calls, aht, raw, sched, strict=True)
        ]
    repository.bulk_insert(session, StaffingInterval, rows)
    plan.summary = summary
    return plan


def _deferred_note(
    t: dict[str, Any],
    within: float | None,
    calls: np.ndarray,
    aht: np.ndarray,
    sched: np.ndarray,
    interval_s: float,
    shrinkage: float,
) -> str:
    work_h = float((calls * aht).sum() / 3600)
    agent_h = float(sched.sum() * interval_s / 3600)
    return (
        f"deferred work: a {_hms(t['threshold_s'])} threshold spans whole {interval_s / 60:g}-minute intervals, so "
        f"contacts may wait for later ones and per-interval Erlang C would put an agent in every interval; the "
        f"{work_h:,.0f} h of workload is spread over the threshold instead ({agent_h:,.0f} "
        f"agent-hours after max occupancy and {shrinkage:.0%} shrinkage), answering about {within or 0:.1%} within "
        f"{_hms(t['threshold_s'])} by a FIFO backlog estimate"
    )


def _aht_points(
    session: Session, *, org_id: uuid.UUID, data: schemas.StaffingCreate, run: ForecastRun
) -> dict[tuple[str, datetime], float] | None:
    """Handle-time forecast per (series, interval) from `aht_run_id`, checked against the volume run."""
    if data.aht_run_id is None:
        return None
    aht_run = get_scoped(session, ForecastRun, org_id, data.aht_run_id, "forecast run")
    if aht_run.metric != "aht" or aht_run.freq_min != run.freq_min:
        raise ValidationFailed(
            f"aht_run_id {aht_run.id} must be an 'aht' forecast with {run.freq_min}-minute intervals "
            f"(it is '{aht_run.metric}' with {aht_run.freq_min})",
            field="aht_run_id",
        )
    return {(p.series_id, p.ts): p.yhat for p in repository.forecast_points(session, aht_run.id)}


def _aht_from_run(points: dict[tuple[str, datetime], float], sid: str, stamps: list[datetime]) -> np.ndarray:
    missing = [ts for ts in stamps if (sid, ts) not in points]
    if missing:
        raise ValidationFailed(
            f"the handle-time run has no forecast for {sid!r} at {missing[0].isoformat()} "
            f"({len(missing)} interval(s) missing); forecast handle time over the same horizon",
            field="aht_run_id",
        )
    values = np.array([points[(sid, ts)] for ts in stamps])
    return np.maximum(values, 1.0)


def _human_demand(
    data: schemas.StaffingCreate, automation: tuple[list[IntentDemand], list[str]] | None, totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Human contacts and handle time of one series from `intents_by_queue`'s answer for it (None: not applied)."""
    intents: list[IntentDemand] = []
    notes = ["automation not applied (apply_automation is false)"]
    if automation is not None:
        intents, notes = automation[0], list(automation[1])
    if intents:
        calls, aht = human_workload(totals, intents)
    else:
        calls, aht = totals.copy(), np.full(totals.shape, DEFAULT_AHT_S)
        if data.aht_s is None:
            notes.append(f"no handle-time history: AHT {DEFAULT_AHT_S:g} s assumed; pass aht_s to set it")
    if data.aht_s is not None:
        aht = np.full(totals.shape, data.aht_s)
    share = {i.intent: round(i.automation_share, 4) for i in intents}
    return calls, aht, {"automation_share": share, "notes": notes}
