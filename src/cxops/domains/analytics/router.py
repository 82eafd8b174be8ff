"""HTTP routes of analytics: the metrics API, overview, drill-down, live view (JSON and SSE), exports."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from cxops.core.auth import READERS, Principal
from cxops.core.web import DbSession, reject_unknown_query, require
from cxops.domains.analytics import learning, views
from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.compute.definitions import DIMENSIONS, GRAIN_MAX_DAYS, GRAINS, METRICS
from cxops.domains.analytics.compute.export import columns_of, to_csv, to_parquet
from cxops.domains.analytics.compute.live import table_rows
from cxops.domains.analytics.config import load_analytics_config
from cxops.domains.analytics.live import HUB
from cxops.domains.analytics.ports import AnalyticsPorts
from cxops.domains.analytics.schemas import MAX_PAGE
from cxops.domains.analytics.service import check_range, latest_start, run_metrics

# an unknown query parameter (`?days=7`, `?level=team`) is a 422 naming it, not the default answer in disguise
router = APIRouter(prefix="/v1/analytics", tags=["analytics"], dependencies=[Depends(reject_unknown_query)])
Reader = Annotated[Principal, Depends(require(READERS))]
Dim = Annotated[str | None, Query(max_length=100)]
Format = Literal["json", "csv", "parquet"]
STREAM_HEARTBEAT_S = 10.0
STREAM_MAX_S = 1800.0


def get_cache(request: Request) -> FrameCache:
    """The app's frame cache (created on first use)."""
    cache = getattr(request.app.state, "analytics_cache", None)
    if cache is None:
        cache = FrameCache(load_analytics_config())
        request.app.state.analytics_cache = cache
    return cache


def get_ports(request: Request) -> AnalyticsPorts:
    """The ports bound by the entry point, or none bound."""
    return getattr(request.app.state, "analytics_ports", None) or AnalyticsPorts()


Cache = Annotated[FrameCache, Depends(get_cache)]
Ports = Annotated[AnalyticsPorts, Depends(get_ports)]


class Common:
    """Query parameters shared by the metrics views: range, filters, repeat window, costs, export format."""

    def __init__(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        region: Dim = None,
        location: Dim = None,
        team: Dim = None,
        agent: Dim = None,
        agent_kind: Dim = None,
        queue: Dim = None,
        channel: Dim = None,
        intent: Dim = None,
        repeat_days: Annotated[int | None, Query(ge=1, le=30)] = None,
        cost_human_minute: Annotated[float | None, Query(ge=0, le=1000)] = None,
        cost_ai_interaction: Annotated[float | None, Query(ge=0, le=1000)] = None,
        format: Format = "json",
    ) -> None:
        self.format = format
        self.params: dict[str, Any] = {
            k: v for k, v in locals().items() if k not in ("self", "format") and v is not None
        }


CommonQ = Annotated[Common, Depends()]


def _respond(body: dict[str, Any], rows: list[dict[str, Any]], fmt: str, name: str, lead: list[str]) -> Any:
    if fmt == "json":
        return body
    cols = columns_of(rows, lead)
    if fmt == "csv":
        data, media = to_csv(rows, cols), "text/csv; charset=utf-8"
    else:
        data, media = to_parquet(rows, cols), "application/vnd.apache.parquet"
    ext = "csv" if fmt == "csv" else "parquet"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'})


@router.get("/catalogue")
def get_catalogue(who: Reader) -> dict[str, Any]:
    """The metrics (with definitions and units), dimensions and time grains the metrics API accepts."""
    return {
        "metrics": [{"name": m.name, "unit": m.unit, "definition": m.definition} for m in METRICS.values()],
        "dimensions": list(DIMENSIONS),
        "grains": [{"name": g, "seconds": s, "max_days": GRAIN_MAX_DAYS[g]} for g, s in GRAINS.items()],
        "max_page_size": MAX_PAGE,
    }


@router.get("/metrics")
def get_metrics(
    session: DbSession,
    who: Reader,
    cache: Cache,
    ports: Ports,
    common: CommonQ,
    metrics: Annotated[str | None, Query(max_length=1000, description="comma-separated metric names")] = None,
    by: Annotated[str | None, Query(max_length=200, description="comma-separated dimensions (at most 3)")] = None,
    grain: Annotated[str, Query(max_length=10, description="15min, 30min, hour, day, week or none")] = "none",
    sort: Annotated[str | None, Query(max_length=64, description="metric or dimension; '-' for descending")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """Metrics sliced by dimensions and time grain; see GET /v1/analytics/catalogue and docs/analytics.md."""
    params = {**common.params, "metrics": metrics, "by": by, "grain": grain, "sort": sort}
    params.update(limit=limit, offset=offset)
    body = run_metrics(session, org_id=who.org_id, params=params, cache=cache, ports=ports)
    return _respond(body, body["rows"], common.format, "metrics", ["bucket", *body["by"]])


OverviewTable = Literal["trend", "by_channel", "by_agent_kind"]
_OVERVIEW_LEAD = {"trend": "bucket", "by_channel": "channel", "by_agent_kind": "agent_kind"}


@router.get("/overview")
def get_overview(
    session: DbSession,
    who: Reader,
    cache: Cache,
    ports: Ports,
    common: CommonQ,
    table: Annotated[OverviewTable, Query(description="the table a CSV/Parquet export holds")] = "trend",
) -> Any:
    """The single operational view: KPIs over the range, the daily trend, split by channel and agent kind."""
    body = views.overview(session, org_id=who.org_id, params=common.params, cache=cache, ports=ports)
    return _respond(body, body[table], common.format, f"overview-{table}", [_OVERVIEW_LEAD[table]])


@router.get("/drilldown")
def get_drilldown(
    session: DbSession,
    who: Reader,
    cache: Cache,
    ports: Ports,
    common: CommonQ,
    metrics: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """Region -> location -> team -> agent: the level below the deepest hierarchy filter given."""
    params = {**common.params, "metrics": metrics, "limit": limit, "offset": offset}
    body = views.drilldown(session, org_id=who.org_id, params=params, cache=cache, ports=ports)
    return _respond(body, body["rows"], common.format, f"drilldown-{body['level']}", [body["level"]])


@router.get("/opportunities")
def get_opportunities(session: DbSession, who: Reader, cache: Cache, ports: Ports, common: CommonQ) -> Any:
    """The automation opportunity map: per intent, volume x verified automation x knowledge x policy coverage."""
    body = learning.opportunities(session, org_id=who.org_id, params=common.params, cache=cache, ports=ports)
    return _respond(body, body["rows"], common.format, "opportunities", ["intent"])


@router.get("/topics")
def get_topics(
    session: DbSession,
    who: Reader,
    cache: Cache,
    since: datetime | None = None,
    until: datetime | None = None,
    k: Annotated[int, Query(ge=2, le=30, description="number of topics")] = 8,
    max_docs: Annotated[int, Query(ge=20, le=5000, description="newest contacts sampled")] = 2000,
    unlabelled_only: bool = True,
    format: Format = "json",
) -> Any:
    """Topics discovered in customer turns (TF-IDF + k-means) with emerging-topic alerts (last 7 vs 28 days)."""
    latest = latest_start(cache.get(session, who.org_id).df)
    lo, hi = check_range(since, until, grain="day", latest=latest, config=cache.config)
    if since is None:
        lo = hi - timedelta(days=35)  # 7 recent days + the 28-day baseline of the emerging-topic test
    body = learning.topics(
        session, org_id=who.org_id, since=lo, until=hi, k=k, max_docs=max_docs, unlabelled_only=unlabelled_only
    )
    rows = [{**t, "terms": ", ".join(t["terms"]), "intents": str(t["intents"])} for t in body["topics"]]
    return _respond(body, rows, format, "topics", ["topic", "label"])


LiveTable = Literal["queues", "teams"]


@router.get("/live")
def get_live(
    session: DbSession,
    who: Reader,
    table: Annotated[LiveTable, Query(description="the wallboard table a CSV/Parquet export holds")] = "queues",
    format: Format = "json",
) -> Any:
    """The last 15 minutes per queue and team: contacts, in progress, service level, sentiment, agent states.

    `format=csv|parquet` exports one table of the wallboard (`table=queues|teams`; a team's agents by state become
    `agents_<state>` columns) as `wallboard-<table>-<as of, UTC>.<ext>`.
    """
    body = views.live_snapshot(session, org_id=who.org_id)
    stamp = datetime.fromisoformat(body["as_of"]).strftime("%Y%m%dT%H%M%SZ")
    rows = table_rows(body, table) if format != "json" else []
    return _respond(body, rows, format, f"wallboard-{table}-{stamp}", [table[:-1]])


@router.get("/live/stream")
async def stream_live(
    request: Request, who: Reader, max_events: Annotated[int, Query(ge=1, le=100_000)] = 100_000
) -> StreamingResponse:
    """Server-sent events: a `snapshot` event now and after every ingested contact or agent-state change."""
    factory = request.app.state.session_factory
    org_id = who.org_id

    def snapshot() -> bytes:
        with factory() as session:
            body = views.live_snapshot(session, org_id=org_id)
        return b"event: snapshot\ndata: " + orjson.dumps(body) + b"\n\n"

    async def events() -> Any:
        started, sent, seen = time.monotonic(), 0, -1
        while sent < max_events and time.monotonic() - started < STREAM_MAX_S:
            seen = HUB.version(org_id)
            yield await run_in_threadpool(snapshot)
            sent += 1
            if sent >= max_events or await request.is_disconnected():
                break
            if not await HUB.wait_change(org_id, seen, STREAM_HEARTBEAT_S):
                yield b": keep-alive\n\n"
            await asyncio.sleep(0)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
