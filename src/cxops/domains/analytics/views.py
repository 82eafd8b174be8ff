"""The console's composed views: the operations overview, the hierarchy drill-down and the live snapshot."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.domains.analytics import repository, service
from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.compute import live as live_compute
from cxops.domains.analytics.compute import metrics as engine
from cxops.domains.analytics.ports import AnalyticsPorts

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
    sums = engine.aggregate(
        part, by=query.by, grain="day", metrics=query.metrics, params=service.params_of(query), extra=extra
    )
    kpis = engine.derive(engine.rollup(sums, []), query.metrics)[0]
    service.note_empty_ports(kpis, query, unavailable)
    body = service.page_of(query, [], unavailable)
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
    """The level below the deepest hierarchy filter, with the standard drill metrics (or the requested ones)."""
    filters = {k: v for k, v in params.items() if k in ("region", "location", "team", "agent") and v}
    level = service.next_level(filters)
    metrics = params.get("metrics") or ",".join(DRILL_METRICS)
    body = service.run_metrics(
        session,
        org_id=org_id,
        params={**params, "metrics": metrics, "by": level, "grain": "none"},
        cache=cache,
        ports=ports,
    )
    body["level"] = level
    body["path"] = [{"level": d, "value": filters[d]} for d in ("region", "location", "team", "agent") if d in filters]
    return body


def live_snapshot(session: Session, *, org_id: uuid.UUID) -> dict[str, Any]:
    """The last 15 minutes per queue and team, and agents by their latest state (within 12 hours)."""
    now = utcnow()
    contacts = repository.live_contacts(session, org_id, since=now - LIVE_WINDOW, until=now)
    states = repository.agent_states(session, org_id, since=now - STATE_LOOKBACK, until=now)
    body = live_compute.summarise(contacts, states)
    body["as_of"] = now.isoformat()
    body["window_minutes"] = int(LIVE_WINDOW.total_seconds() // 60)
    return body
