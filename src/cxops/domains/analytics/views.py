"""The console's composed views: the operations overview, the hierarchy drill-down and the live snapshot."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.domains.analytics import repository, service
from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.compute import live as live_compute
from cxops.domains.analytics.compute import metrics as engine
from cxops.domains.analytics.compute.definitions import HIERARCHY
from cxops.domains.analytics.ports import AnalyticsPorts
from cxops.domains.analytics.schemas import MetricsQuery

OVERVIEW_METRICS = (
    "volume",
    "aht_s",
    "service_level",
    "abandon_rate",
    "fcr_rate",
    "repeat_rate",
    "transfer_rate",
    "escalation_rate",
    "ai_share",
    "containment_rate",
    "verified_automation_rate",
    "pending_verification",
    "csat",
    "survey_response_rate",
    "sentiment_shift",
    "cost_per_contact",
    "qa_score",
    "trust_index",
)
DRILL_METRICS = (
    "volume",
    "aht_s",
    "service_level",
    "fcr_rate",
    "repeat_rate",
    "containment_rate",
    "verified_automation_rate",
    "csat",
    "cost_per_contact",
    "trust_index",
)
LIVE_WINDOW = timedelta(minutes=15)
STATE_LOOKBACK = timedelta(hours=12)


def overview(
    session: Session, *, org_id: uuid.UUID, params: Mapping[str, Any], cache: FrameCache, ports: AnalyticsPorts
) -> dict[str, Any]:
    """KPIs for the range, the daily trend, and the split by channel and by agent kind (one pass, rolled up)."""
    frame = cache.get(session, org_id).df
    query = service.parse_query(
        {**params, "metrics": ",".join(OVERVIEW_METRICS), "by": "channel,agent_kind", "grain": "day"},
        latest=service.latest_start(frame),
        config=cache.config,
    )
    extra, unavailable = service.port_scores(session, org_id=org_id, query=query, ports=ports, cache=cache, frame=frame)
    part = engine.select(frame, since=query.since.timestamp(), until=query.until.timestamp(), filters=query.filters)
    horizon = service.horizon_of(frame)
    at = service.params_of(query, horizon)
    sums = engine.aggregate(part, by=query.by, grain="day", metrics=query.metrics, params=at, extra=extra)
    kpis = engine.derive(engine.rollup(sums, []), query.metrics)[0]
    service.note_empty_ports(kpis, query, unavailable)
    body = service.page_of(query, [], unavailable, horizon=horizon)
    body.pop("rows")
    body.update(
        kpis=kpis,
        trend=engine.derive(engine.rollup(sums, ["bucket"]), query.metrics),
        by_channel=engine.derive(engine.rollup(sums, ["channel"]), query.metrics),
        by_agent_kind=engine.derive(engine.rollup(sums, ["agent_kind"]), query.metrics),
        total_rows=len(part),
    )
    return body


def drilldown(
    session: Session, *, org_id: uuid.UUID, params: Mapping[str, Any], cache: FrameCache, ports: AnalyticsPorts
) -> dict[str, Any]:
    """The level below the deepest hierarchy filter, with the standard drill metrics (or the requested ones).

    Also the `totals` of the whole selection (the rows add up to them: every metric is a ratio of sums) and,
    when some contacts have no value at this level, `unassigned`: how many, how many of them were abandoned
    before reaching an agent (the hierarchy comes from the agent's team, so those can never have one), and a
    label and note saying so. Such contacts pull the totals' service level below every named row's.
    """
    filters = {k: v for k, v in params.items() if k in HIERARCHY and v}
    level = service.next_level(filters)
    metrics = params.get("metrics") or ",".join(DRILL_METRICS)
    frame = cache.get(session, org_id).df
    query = service.parse_query(
        {**params, "metrics": metrics, "by": level, "grain": "none"},
        latest=service.latest_start(frame),
        config=cache.config,
    )
    extra, unavailable = service.port_scores(session, org_id=org_id, query=query, ports=ports, cache=cache, frame=frame)
    rows = service.compute_rows(frame, query, extra)
    totals = service.compute_rows(frame, replace(query, by=(), sort=None), extra)[0]
    service.note_empty_ports(totals, query, unavailable)
    body = service.page_of(query, rows, unavailable, horizon=service.horizon_of(frame))
    body["level"] = level
    body["path"] = [{"level": d, "value": filters[d]} for d in HIERARCHY if d in filters]
    body["totals"] = totals
    body["unassigned"] = _unassigned(frame, query, level)
    if body["unassigned"] is not None:
        body["notes"].append(body["unassigned"]["note"])
    return body


def _unassigned(frame: Any, query: MetricsQuery, level: str) -> dict[str, Any] | None:
    """What the `(none)` row of a drill-down level holds (None when there is no such row)."""
    filters = {**query.filters, level: engine.NONE_LABEL}
    probe = replace(query, metrics=("volume", "abandoned"), by=(), sort=None, filters=filters)
    found = service.compute_rows(frame, probe, {})[0]
    contacts, abandoned = int(found["volume"]), int(found["abandoned"])
    if contacts == 0:
        return None
    others = contacts - abandoned
    if abandoned == contacts:
        label = f"no {level}: abandoned before reaching an agent"
    elif abandoned:
        label = f"no {level}: {abandoned:,} abandoned before reaching an agent, {others:,} other"
    else:
        label = f"no {level}"
    why = []
    if abandoned:
        why.append(
            f"{abandoned:,} were abandoned before reaching an agent (a {level} comes from the handling agent's team, "
            "so they cannot have one): in service level they are offered and not answered in time, which pulls the "
            "total below the named rows; they have no handle time and cost nothing, and their CSAT is that of the "
            "few surveys abandoning customers answered"
        )
    if others:
        why.append(f"{others:,} were handled by an agent without a team, or have no {level} recorded")
    note = f"{engine.NONE_LABEL} = {contacts:,} contacts with no {level}: " + "; ".join(why)
    return {"value": engine.NONE_LABEL, "label": label, "contacts": contacts, "abandoned": abandoned, "note": note}


def live_snapshot(session: Session, *, org_id: uuid.UUID) -> dict[str, Any]:
    """The last 15 minutes per queue and team, and agents by their latest state (within 12 hours)."""
    now = utcnow()
    contacts = repository.live_contacts(session, org_id, since=now - LIVE_WINDOW, until=now)
    states = repository.agent_states(session, org_id, since=now - STATE_LOOKBACK, until=now)
    body = live_compute.summarise(contacts, states)
    body["as_of"] = now.isoformat()
    body["window_minutes"] = int(LIVE_WINDOW.total_seconds() // 60)
    return body
