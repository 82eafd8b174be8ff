"""Auto-documentation of ended interactions: CRM-ready JSON, stored once per interaction (assist_documentation)
and on the interaction itself (`documentation`, returned by GET /v1/interactions/{id}).

Flow: `interactions.ended` -> consumer `assist.documentation` writes the extractive documentation of every ended
interaction of the batch (summary, disposition, action items, entities; see compute/summary.py). When a text
generator (an OpenAI-compatible LLM) is bound, the rows are marked `generative_status = pending` and an
`assist.documentation_generative` event is emitted in the same transaction; its own consumer asks the LLM and
fills `generative` (or records `failed` with the reason). The generative part never blocks or undoes the
extractive one: without an LLM it stays `generative: null` with the reason. Both consumers are idempotent
(core.events.apply_once) and the table is unique on interaction id, so a redelivered event rewrites nothing twice.
`trust.customer_erased` deletes the documentation of the erased interactions.

The service never commits (the request, the consumer or the CLI batch owns the transaction) and never logs
transcript text or documentation content.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.errors import Conflict, NotFound
from cxops.core.event_types import DomainEvent
from cxops.core.events import Delivered, Subscriptions, emit
from cxops.core.ids import parse_uuids
from cxops.domains.assist.compute.entities import TurnText
from cxops.domains.assist.compute.summary import SCHEMA, InteractionFacts, document, generative_messages
from cxops.domains.assist.doc_models import AssistDocumentation
from cxops.domains.assist.doc_ports import DocumentationPorts, GenerationFailed, TextGenerator
from cxops.domains.interactions.public import Interaction, Turn, set_documentation

log = logging.getLogger(__name__)
CHUNK = 200
GENERATIVE_EVENT = "assist.documentation_generative"


class DocumentationGenerativeRequested(DomainEvent):
    """Documentation rows waiting for their generative summary (emitted with the extractive rows)."""

    event_type: ClassVar[str] = GENERATIVE_EVENT
    interaction_ids: list[str] = Field(max_length=10_000)


def _facts(row: Interaction) -> InteractionFacts:
    return InteractionFacts(
        id=str(row.id),
        started_at=row.started_at,
        ended_at=row.ended_at,
        channel=row.channel,
        source=row.source,
        external_id=row.external_id,
        outcome=row.outcome,
        disposition=row.disposition,
        intent=row.intent,
        tags=list(row.tags or []),
        queue_id=str(row.queue_id) if row.queue_id else None,
        agent_id=str(row.primary_agent_id) if row.primary_agent_id else None,
        customer_id=str(row.customer_id) if row.customer_id else None,
    )


def _turns(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TurnText]]:
    out: dict[uuid.UUID, list[TurnText]] = {i: [] for i in ids}
    rows = session.execute(
        select(Turn.interaction_id, Turn.seq, Turn.speaker, Turn.text)
        .where(Turn.interaction_id.in_(list(ids)))
        .order_by(Turn.interaction_id, Turn.seq)
    )
    for iid, seq, speaker, text in rows:
        out[iid].append(TurnText(seq, speaker, text or ""))
    return out


def _ended(session: Session, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Interaction]:
    return list(
        session.scalars(
            select(Interaction).where(
                Interaction.org_id == org_id, Interaction.id.in_(list(ids)), Interaction.ended_at.is_not(None)
            )
        )
    )


def generate(doc: dict[str, Any], turns: Sequence[TurnText], generator: TextGenerator) -> dict[str, Any]:
    """`doc` with its generative summary from `generator`, or with status failed and the reason."""
    try:
        text = generator.complete(generative_messages(turns, doc))
    except GenerationFailed as exc:
        return {**doc, "generative": None, "generative_status": "failed", "generative_reason": str(exc)[:500]}
    generative = {"summary": text[:4000], "model": generator.model, "generated_at": utcnow().isoformat()}
    return {**doc, "generative": generative, "generative_status": "ok", "generative_reason": None}


def _store(
    session: Session, rows: dict[uuid.UUID, AssistDocumentation], item: Interaction, doc: dict[str, Any]
) -> None:
    row = rows.get(item.id)
    if row is None:
        row = AssistDocumentation(org_id=item.org_id, interaction_id=item.id, created_at=utcnow())
        session.add(row)
        rows[item.id] = row
    row.interaction_started_at = item.started_at
    row.schema_version = SCHEMA
    row.intent = (doc["disposition"].get("intent") or None) and str(doc["disposition"]["intent"])[:100]
    row.outcome = (doc["disposition"].get("outcome") or None) and str(doc["disposition"]["outcome"])[:20]
    row.generative_status = doc["generative_status"]
    row.document = doc
    row.updated_at = utcnow()
    set_documentation(session, org_id=item.org_id, interaction_ids=[item.id], document=doc)


def document_interactions(
    session: Session,
    *,
    org_id: uuid.UUID,
    interaction_ids: Sequence[uuid.UUID],
    ports: DocumentationPorts,
    generative: str = "defer",
    only_missing: bool = False,
) -> list[AssistDocumentation]:
    """Write (or rewrite) the documentation of the ended interactions among `interaction_ids`.

    generative: "defer" marks rows pending and emits an event for the generative consumer, "inline" asks the
    generator now (before anything is written, so no write lock is held while waiting), "skip" leaves it off.
    Interactions of other organisations and not yet ended are ignored here (the API reports them).
    """
    out: list[AssistDocumentation] = []
    encoder, intents = ports.encoder(), ports.intents()
    generator = ports.generator() if generative != "skip" else None
    for start in range(0, len(interaction_ids), CHUNK):
        items = _ended(session, org_id, interaction_ids[start : start + CHUNK])
        rows = {
            r.interaction_id: r
            for r in session.scalars(
                select(AssistDocumentation).where(AssistDocumentation.interaction_id.in_([i.id for i in items]))
            )
        }
        if only_missing:
            items = [i for i in items if i.id not in rows]
        turns = _turns(session, [i.id for i in items])
        pending: list[str] = []
        for item in items:
            doc = document(_facts(item), turns[item.id], encode=encoder, intents=intents, generated_at=utcnow())
            if generator is None:
                reason = ports.generator_missing if generative != "skip" else "generative summary not requested"
                doc.update(generative_status="disabled", generative_reason=reason)
            elif generative == "inline":
                doc = generate(doc, turns[item.id], generator)
            else:
                doc.update(generative_status="pending", generative_reason=f"queued for {generator.model}")
                pending.append(str(item.id))
            _store(session, rows, item, doc)
            out.append(rows[item.id])
        if pending:
            emit(session, org_id=org_id, event=DocumentationGenerativeRequested(interaction_ids=pending))
    session.flush()
    return out


def fill_generative(
    session: Session, *, org_id: uuid.UUID, interaction_ids: Sequence[uuid.UUID], ports: DocumentationPorts
) -> int:
    """Ask the generator for the pending rows among `interaction_ids`; returns how many got a summary.

    After the first failure the rest of the batch is marked failed with the same reason instead of waiting
    for the same unreachable endpoint again (regenerate retries one interaction by hand).
    """
    generator = ports.generator()
    rows = list(
        session.scalars(
            select(AssistDocumentation).where(
                AssistDocumentation.org_id == org_id,
                AssistDocumentation.interaction_id.in_(list(interaction_ids)),
                AssistDocumentation.generative_status == "pending",
            )
        )
    )
    turns = _turns(session, [r.interaction_id for r in rows])
    done, failure = 0, None
    for row in rows:
        doc = dict(row.document)
        if generator is None:
            doc.update(generative=None, generative_status="disabled", generative_reason=ports.generator_missing)
        elif failure is not None:
            doc.update(generative=None, generative_status="failed", generative_reason=failure)
        else:
            doc = generate(doc, turns[row.interaction_id], generator)
            if doc["generative_status"] == "failed":
                failure = f"not attempted after an earlier failure in the batch: {doc['generative_reason']}"[:500]
            else:
                done += 1
        row.document = doc
        row.generative_status = doc["generative_status"]
        row.updated_at = utcnow()
        set_documentation(session, org_id=org_id, interaction_ids=[row.interaction_id], document=doc)
    return done


def _interaction(session: Session, org_id: uuid.UUID, interaction_id: uuid.UUID) -> Interaction:
    row = session.get(Interaction, interaction_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"interaction {interaction_id} not found", field="interaction_id")
    if row.ended_at is None:
        raise Conflict(
            f"interaction {interaction_id} has not ended yet (no ended_at): documentation is written when it ends",
            field="interaction_id",
        )
    return row


def get_documentation(session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID) -> AssistDocumentation:
    """The stored documentation, or a specific error: unknown interaction, not ended, not documented yet."""
    _interaction(session, org_id, interaction_id)
    row = session.scalars(
        select(AssistDocumentation).where(AssistDocumentation.interaction_id == interaction_id)
    ).first()
    if row is None:
        raise NotFound(
            f"interaction {interaction_id} has ended but is not documented yet (documentation follows the end "
            f"event within seconds); POST /v1/interactions/{interaction_id}/documentation/regenerate writes it now",
            field="interaction_id",
        )
    return row


def regenerate(
    session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID, ports: DocumentationPorts
) -> AssistDocumentation:
    """Rewrite one interaction's documentation now, the generative part included when a generator is bound."""
    _interaction(session, org_id, interaction_id)
    rows = document_interactions(
        session, org_id=org_id, interaction_ids=[interaction_id], ports=ports, generative="inline"
    )
    return rows[0]


def recent(
    session: Session,
    *,
    org_id: uuid.UUID,
    limit: int,
    offset: int,
    intent: str | None = None,
    since: datetime | None = None,
) -> tuple[list[AssistDocumentation], int]:
    """Documentation of the organisation, newest interactions first, with the total count."""
    where = [AssistDocumentation.org_id == org_id]
    if intent:
        where.append(AssistDocumentation.intent == intent)
    if since is not None:
        where.append(AssistDocumentation.interaction_started_at >= since)
    total = session.scalar(select(func.count()).select_from(AssistDocumentation).where(*where)) or 0
    items = session.scalars(
        select(AssistDocumentation)
        .where(*where)
        .order_by(AssistDocumentation.interaction_started_at.desc(), AssistDocumentation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(items), int(total)


def erase(session: Session, *, org_id: uuid.UUID, interaction_ids: Sequence[uuid.UUID]) -> int:
    """Delete the documentation of erased interactions (it quotes their transcripts)."""
    set_documentation(session, org_id=org_id, interaction_ids=list(interaction_ids), document=None)
    result = session.execute(
        delete(AssistDocumentation).where(
            AssistDocumentation.org_id == org_id, AssistDocumentation.interaction_id.in_(list(interaction_ids))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def subscribe(subs: Subscriptions, ports: DocumentationPorts) -> Subscriptions:
    """Register the documentation consumers (the entrypoint binds `ports`)."""

    def on_ended(session: Session, event: Delivered) -> None:
        ids = parse_uuids(event.payload.get("interaction_ids", []))
        document_interactions(session, org_id=event.org_id, interaction_ids=ids, ports=ports)

    def on_generative(session: Session, event: Delivered) -> None:
        ids = parse_uuids(event.payload.get("interaction_ids", []))
        fill_generative(session, org_id=event.org_id, interaction_ids=ids, ports=ports)

    def on_erased(session: Session, event: Delivered) -> None:
        erase(session, org_id=event.org_id, interaction_ids=parse_uuids(event.payload.get("interaction_ids", [])))

    subs.subscribe("interactions.ended", "assist.documentation", on_ended)
    subs.subscribe(GENERATIVE_EVENT, "assist.documentation_generative", on_generative)
    subs.subscribe("trust.customer_erased", "assist.documentation_erasure", on_erased)
    return subs
