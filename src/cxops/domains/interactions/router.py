"""HTTP routes of the interactions domain: ingestion (single, streamed bulk), reads, agent states."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from cxops.contracts.events import AgentStatesRecorded
from cxops.contracts.interactions import BatchSummary, Channel, InteractionIn, Outcome
from cxops.core.auth import INGESTERS, READERS, Principal, Role
from cxops.core.clock import utcnow
from cxops.core.errors import BadRequest, NotFound, UnsupportedMediaType, ValidationFailed
from cxops.core.events import emit
from cxops.core.repository import MAX_PAGE_SIZE, get_scoped
from cxops.core.web import DbSession, require
from cxops.domains.directory.public import ensure_agents, own_agent_id
from cxops.domains.interactions import repository, schemas
from cxops.domains.interactions.ingest import (
    BatchIngestor,
    LineSplitter,
    ingest_batch,
    oversized,
    parse_line,
)
from cxops.domains.interactions.models import Interaction

router = APIRouter(prefix="/v1", tags=["interactions"])
Reader = Annotated[Principal, Depends(require(READERS))]
Ingester = Annotated[Principal, Depends(require(INGESTERS))]
#: One interaction: readers any of the organisation's; an agent only one they took part in (their own contact).
TranscriptReader = Annotated[Principal, Depends(require(READERS | {Role.AGENT}))]
MAX_RANGE = timedelta(days=366)


@router.post("/interactions", response_model=schemas.IngestResult)
def post_interaction(
    record: InteractionIn, request: Request, session: DbSession, who: Ingester, response: Response
) -> Any:
    """Ingest one interaction; 201 when created, 200 when updated or unchanged (idempotent)."""
    redactor = getattr(request.app.state, "redactor", None)
    result = ingest_batch(session, org_id=who.org_id, items=[(1, record)], redactor=redactor)[0]
    response.status_code = 201 if result.status == "created" else 200
    return {"status": result.status, "id": result.id, "external_id": result.external_id}


@router.post(
    "/interactions/bulk",
    response_model=BatchSummary,
    openapi_extra={
        "requestBody": {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def post_interactions_bulk(request: Request, who: Ingester) -> BatchSummary:
    """Ingest NDJSON streamed line by line, committed in batches; bad lines reported, good ones kept."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if ctype not in ("application/x-ndjson", "application/jsonl", "application/json", "text/plain", ""):
        raise UnsupportedMediaType(f"send NDJSON (application/x-ndjson), not {ctype!r}")
    settings = request.app.state.settings
    dispatcher = getattr(request.app.state, "dispatcher", None)
    ingestor = BatchIngestor(
        request.app.state.session_factory,
        who.org_id,
        settings.ingest_batch_size,
        on_commit=dispatcher.notify if dispatcher else None,
        redactor=getattr(request.app.state, "redactor", None),
    )
    splitter = LineSplitter(settings.max_line_bytes)
    pending: list[tuple[int, bytes | None]] = []

    def consume(lines: list[tuple[int, bytes | None]]) -> None:
        for line_no, raw in lines:
            ingestor.add(
                oversized(line_no, settings.max_line_bytes) if raw is None else parse_line(line_no, raw), line_no
            )

    async for chunk in request.stream():
        pending.extend(splitter.feed(chunk))
        if len(pending) >= settings.ingest_batch_size:
            batch, pending = pending, []
            await run_in_threadpool(consume, batch)
    pending.extend(splitter.finish())
    await run_in_threadpool(consume, pending)
    await run_in_threadpool(ingestor.flush)
    if ingestor.summary.received == 0:
        raise BadRequest("the request body holds no NDJSON records")
    return ingestor.summary


@router.get("/interactions", response_model=schemas.InteractionPage)
def list_interactions(
    session: DbSession,
    who: Reader,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: Channel | None = None,
    outcome: Outcome | None = None,
    queue_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    intent: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """A page of interactions, newest first, with filters."""
    _check_range(since, until)
    stmt = repository.filtered(
        who.org_id,
        {
            "since": since,
            "until": until,
            "channel": channel.value if channel else None,
            "outcome": outcome.value if outcome else None,
            "queue_id": queue_id,
            "team_id": team_id,
            "primary_agent_id": agent_id,
            "customer_id": customer_id,
            "intent": intent,
        },
    )
    items, total = repository.page(session, stmt, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _check_range(since: datetime | None, until: datetime | None) -> None:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(f"{name} needs a timezone offset", field=name)
    if since and until and until <= since:
        raise ValidationFailed("until must be after since", field="until")


@router.get("/interactions/{interaction_id}", response_model=schemas.InteractionDetail)
def get_interaction(interaction_id: uuid.UUID, session: DbSession, who: TranscriptReader) -> Any:
    """One interaction with its participants and turns. An agent (key linked to a directory agent, else 403) reads
    only an interaction they took part in, as its primary agent or a participant; any other answers 404."""
    own = own_agent_id(session, who)
    row = get_scoped(session, Interaction, who.org_id, interaction_id, "interaction")
    participants = repository.participants_of(session, row.id)
    if own is not None and row.primary_agent_id != own and all(p.agent_id != own for p in participants):
        raise NotFound(f"interaction {interaction_id} not found")
    data = schemas.InteractionRead.model_validate(row).model_dump()
    return {
        **data,
        "attributes": row.attributes,
        "documentation": row.documentation,
        "participants": participants,
        "turns": repository.turns_of(session, row.id),
    }


@router.post("/agent-states", response_model=schemas.AgentStateSummary)
def post_agent_states(body: schemas.AgentStateBatch, session: DbSession, who: Ingester) -> Any:
    """Record agent state changes (idempotent: an exact repeat is ignored)."""
    agents = ensure_agents(session, who.org_id, {e.agent: "human" for e in body.events})
    rows = [
        {
            "id": uuid.uuid4(),
            "org_id": who.org_id,
            "agent_id": agents[e.agent].id,
            "state": e.state.value,
            "started_at": e.started_at,
            "source": e.source,
        }
        for e in body.events
    ]
    created = repository.insert_states(session, rows)
    if created:
        emit(session, org_id=who.org_id, event=AgentStatesRecorded(count=created))
    return {"received": len(rows), "created": created, "unchanged": len(rows) - created}


@router.get("/overview/daily")
def get_daily_overview(
    session: DbSession, who: Reader, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> dict[str, Any]:
    """Volume, outcomes, AI involvement, handle time and CSAT per UTC day and channel, and their totals, for the
    `days` up to the newest contact: [since, until), the range the analytics API defaults to. Handle time is
    the mean of handled contacts (abandoned ones left out) and CSAT the mean of the scores given, as there."""
    since, until = repository.recent_window(repository.latest_start(session, who.org_id), days, utcnow())
    rows = repository.daily_overview(session, who.org_id, since, until)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": days,
        "totals": repository.overview_totals(rows),
        "rows": rows,
    }
