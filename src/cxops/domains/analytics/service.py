"""Analytics rules: checking a metrics request, computing it on the cached frame, overview and drill-down."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pandas as pd
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.errors import ValidationFailed
from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.compute import metrics as engine
from cxops.domains.analytics.compute.definitions import (
    DEFAULT_METRICS,
    DIMENSIONS,
    GRAIN_MAX_DAYS,
    GRAINS,
    HIERARCHY,
    METRICS,
    PORT_METRICS,
)
from cxops.domains.analytics.config import AnalyticsConfig
from cxops.domains.analytics.ports import NO_DATA, UNAVAILABLE, AnalyticsPorts, VersionedScores
from cxops.domains.analytics.schemas import MAX_PAGE, MetricsQuery

MAX_METRICS = 30
MAX_BY = 3
DEFAULT_DAYS = 30
#: Metrics whose outcome is known only once a contact's repeat window has closed.
REPEAT_METRICS = frozenset(
    {"fcr_rate", "repeat_rate", "containment_rate_closed", "verified_automation_rate", "pending_verification"}
)
WAIT_NOTE = (
    "service level and speed of answer read attributes.wait_s (seconds queued); contacts without it are left out"
)


def _split(raw: str | None, field: str, known: tuple[str, ...] | dict[str, Any], cap: int) -> tuple[str, ...]:
    items = tuple(x.strip() for x in (raw or "").split(",") if x.strip())
    if len(items) > cap:
        raise ValidationFailed(f"{field}: at most {cap} values, got {len(items)}", field=field)
    for item in items:
        if item not in known:
            what = "metric" if field == "metrics" else "dimension"
            raise ValidationFailed(f"{field}: unknown {what} {item!r}; known: {', '.join(known)}", field=field)
    if len(set(items)) != len(items):
        raise ValidationFailed(f"{field}: a value is repeated", field=field)
    return items


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValidationFailed(f"{field} needs a timezone offset (e.g. 2026-01-31T00:00:00Z)", field=field)
    if not 1970 <= value.year <= 9000:  # contacts are dated in the Unix era; range arithmetic must not overflow
        raise ValidationFailed(f"{field} {value.isoformat()} is out of range (years 1970-9000)", field=field)
    return value.astimezone(UTC)


def check_range(
    since: datetime | None, until: datetime | None, *, grain: str, latest: datetime | None, config: AnalyticsConfig
) -> tuple[datetime, datetime]:
    """The [since, until) range: defaults to the 30 days up to the newest contact; bounded per grain."""
    since, until = _aware(since, "since"), _aware(until, "until")
    span = timedelta(days=min(DEFAULT_DAYS, GRAIN_MAX_DAYS[grain]))
    if until is None:
        until = since + span if since else (latest or utcnow()) + timedelta(seconds=1)
    if since is None:
        since = until - span
    if until <= since:
        raise ValidationFailed("until must be after since (the range is inverted or empty)", field="until")
    days = (until - since).total_seconds() / 86_400
    cap = GRAIN_MAX_DAYS[grain]
    if days > cap:
        raise ValidationFailed(
            f"range of {days:.0f} days exceeds the {cap}-day limit for grain {grain!r}", field="since"
        )
    floor = utcnow() - timedelta(days=config.history_days)
    if until <= floor:
        raise ValidationFailed(
            f"the range ends before the analytics history window ({config.history_days} days)", field="until"
        )
    return since, until


def parse_query(params: Mapping[str, Any], *, latest: datetime | None, config: AnalyticsConfig) -> MetricsQuery:
    """A MetricsQuery from request parameters, or ValidationFailed naming the bad parameter."""
    grain = params.get("grain") or "none"
    if grain not in GRAINS:
        raise ValidationFailed(f"grain: unknown grain {grain!r}; known: {', '.join(GRAINS)}", field="grain")
    metric_names = _split(params.get("metrics"), "metrics", METRICS, MAX_METRICS) or DEFAULT_METRICS
    by = _split(params.get("by"), "by", DIMENSIONS, MAX_BY)
    since, until = check_range(params.get("since"), params.get("until"), grain=grain, latest=latest, config=config)
    limit = int(params.get("limit") or 200)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit: page size {limit} is outside 1-{MAX_PAGE}", field="limit")
    sort = params.get("sort")
    if sort and sort.lstrip("-") not in (*metric_names, *by, "bucket"):
        raise ValidationFailed(f"sort: {sort!r} is not a requested metric or dimension", field="sort")
    filters = {d: str(params[d]) for d in DIMENSIONS if params.get(d)}
    return MetricsQuery(
        metrics=metric_names,
        by=by,
        grain=grain,
        since=since,
        until=until,
        filters=filters,
        limit=limit,
        offset=int(params.get("offset") or 0),
        repeat_days=int(params.get("repeat_days") or config.repeat_days),
        cost_human_minute=_cost(params.get("cost_human_minute"), config.cost_human_minute),
        cost_ai_interaction=_cost(params.get("cost_ai_interaction"), config.cost_ai_interaction),
        sort=sort,
    )


def _cost(value: Any, default: float) -> float:
    return default if value is None else float(value)


def latest_start(frame: pd.DataFrame) -> datetime | None:
    """The newest contact's start time in the frame."""
    if frame.empty:
        return None
    return datetime.fromtimestamp(int(frame["ts"].iloc[-1]), UTC)


def port_scores(
    session: Session, *, org_id: uuid.UUID, query: MetricsQuery, ports: AnalyticsPorts, cache: FrameCache, frame: Any
) -> tuple[dict[str, engine.Scores], dict[str, str]]:
    """Scores from the bound QA/trust ports, and notes for unbound ones.

    A versioned port (see ports.VersionedScores) comes back as a column aligned with `frame`, read once per
    change; any other is read for the query's range and keyed like the frame's ids.
    """
    extra: dict[str, engine.Scores] = {}
    unavailable: dict[str, str] = {}
    for metric, port_name in PORT_METRICS.items():
        if metric not in query.metrics:
            continue
        port = getattr(ports, port_name)
        if port is None:
            unavailable[metric] = UNAVAILABLE[port_name]
            continue
        if callable(getattr(port, "version", None)):
            versioned = cast(VersionedScores, port)
            extra[port_name] = cache.scores.get(session, org_id=org_id, name=port_name, port=versioned, frame=frame)
            continue
        got = port.scores(session, org_id=org_id, since=query.since, until=query.until)
        extra[port_name] = {k.hex: float(v) for k, v in got.items()}
    return extra, unavailable


def note_empty_ports(totals: Mapping[str, Any], query: MetricsQuery, unavailable: dict[str, str]) -> None:
    """Say why a bound port's metric is null over the whole selection (no evaluation, no ledger entry)."""
    for metric, port_name in PORT_METRICS.items():
        if metric in query.metrics and metric not in unavailable and totals.get(metric) is None:
            unavailable[metric] = NO_DATA[port_name]


def horizon_of(frame: pd.DataFrame) -> datetime:
    """How far the organisation's data reaches: its newest contact's start (now if none, or if in the future).

    Repeat windows close against it, not against the clock: a contact whose window runs past the newest contact
    ingested (history imported up to a date, a frame loaded a while ago) cannot be known not to repeat.
    """
    now = utcnow()
    latest = latest_start(frame)
    return now if latest is None else min(now, latest)


def params_of(query: MetricsQuery, horizon: datetime) -> engine.Params:
    """Engine parameters of a query, evaluated at the data horizon (see `horizon_of`)."""
    return engine.Params(
        as_of=horizon.timestamp(),
        repeat_days=query.repeat_days,
        cost_human_minute=query.cost_human_minute,
        cost_ai_interaction=query.cost_ai_interaction,
    )


def compute_rows(frame: pd.DataFrame, query: MetricsQuery, extra: Mapping[str, engine.Scores]) -> list[dict[str, Any]]:
    """Every result row of a query (unpaged), sorted."""
    part = engine.select(frame, since=query.since.timestamp(), until=query.until.timestamp(), filters=query.filters)
    params = params_of(query, horizon_of(frame))
    sums = engine.aggregate(part, by=query.by, grain=query.grain, metrics=query.metrics, params=params, extra=extra)
    rows = engine.derive(sums, query.metrics)
    if query.sort:
        key, reverse = query.sort.lstrip("-"), query.sort.startswith("-")
        rows.sort(key=lambda r: (r.get(key) is None, r.get(key) if r.get(key) is not None else 0), reverse=reverse)
    elif query.by and query.grain == "none":
        rows.sort(key=lambda r: -(r.get("volume") or 0))
    return rows


def run_metrics(
    session: Session,
    *,
    org_id: uuid.UUID,
    params: Mapping[str, Any],
    cache: FrameCache,
    ports: AnalyticsPorts,
) -> dict[str, Any]:
    """Answer a metrics request: check it, compute on the organisation's frame, return one page."""
    frame = cache.get(session, org_id).df
    query = parse_query(params, latest=latest_start(frame), config=cache.config)
    extra, unavailable = port_scores(session, org_id=org_id, query=query, ports=ports, cache=cache, frame=frame)
    rows = compute_rows(frame, query, extra)
    if any(m in query.metrics for m in PORT_METRICS):
        note_empty_ports(
            {m: next((r[m] for r in rows if r.get(m) is not None), None) for m in PORT_METRICS}, query, unavailable
        )
    return page_of(query, rows, unavailable, horizon=horizon_of(frame))


def page_of(
    query: MetricsQuery, rows: list[dict[str, Any]], unavailable: dict[str, str], *, horizon: datetime | None = None
) -> dict[str, Any]:
    """The response body for one page of rows; `horizon` (the data horizon the repeat windows close against)
    adds when the windows of the repeat-based metrics close (`params.data_horizon`, `params.repeat_measured_before`)."""
    notes = [WAIT_NOTE] if {"service_level", "asa_s"} & set(query.metrics) else []
    repeat_based = bool(REPEAT_METRICS & set(query.metrics))
    measured_before = None if horizon is None else horizon - timedelta(days=query.repeat_days)
    if repeat_based:
        since = "" if measured_before is None else f" (those started from {measured_before.isoformat()} on)"
        notes.append(
            f"repeat window N = {query.repeat_days} days: contacts started less than N days before the newest "
            f"contact{since} cannot be measured yet; they are pending and left out of FCR, repeat and "
            "verified-automation rates whether or not they have already repeated (a rate is empty when every "
            "contact of its row is pending)"
        )
    extra_params: dict[str, Any] = {}
    if repeat_based and horizon is not None and measured_before is not None:
        extra_params = {"data_horizon": horizon.isoformat(), "repeat_measured_before": measured_before.isoformat()}
    return {
        "since": query.since.isoformat(),
        "until": query.until.isoformat(),
        "grain": query.grain,
        "by": list(query.by),
        "metrics": list(query.metrics),
        "filters": query.filters,
        "params": {
            "repeat_days": query.repeat_days,
            "cost_human_minute": query.cost_human_minute,
            "cost_ai_interaction": query.cost_ai_interaction,
            **extra_params,
        },
        "rows": rows[query.offset : query.offset + query.limit],
        "total_rows": len(rows),
        "limit": query.limit,
        "offset": query.offset,
        "unavailable": unavailable,
        "notes": notes,
    }


def next_level(filters: Mapping[str, str]) -> str:
    """The hierarchy level below the deepest one filtered (region -> location -> team -> agent)."""
    deepest = max((HIERARCHY.index(d) for d in filters if d in HIERARCHY), default=-1)
    if deepest == len(HIERARCHY) - 1:
        raise ValidationFailed("agent is the lowest level: there is nothing below to drill into", field="agent")
    return HIERARCHY[deepest + 1]
