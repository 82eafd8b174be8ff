"""Ingestion: validate records, then write a batch idempotently on (source, external_id).

A re-sent record with the same content is `unchanged`; with new content it is `updated` (its participants
and turns are replaced); a bad record is reported with its line and field while the good ones are kept.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, delete, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxops.contracts.events import InteractionsEnded
from cxops.contracts.interactions import (
    AgentKind,
    BatchSummary,
    FieldError,
    InteractionIn,
    LineResult,
    ParticipantRole,
    Speaker,
)
from cxops.core.clock import utcnow
from cxops.core.events import emit
from cxops.core.ids import new_id
from cxops.domains.directory.public import ensure_agents, ensure_customers, ensure_queues
from cxops.domains.interactions.models import Interaction, InteractionParticipant, Turn
from cxops.domains.interactions.ports import Redactor

MAX_REPORTED_ERRORS = 1000


def validation_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic errors as (dotted field path, message) pairs."""
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(record)"
        out.append(FieldError(field=loc, message=err["msg"]))
    return out


def parse_line(line_no: int, raw: bytes | str) -> InteractionIn | LineResult:
    """One NDJSON line -> a validated record, or the line's error report."""
    try:
        return InteractionIn.model_validate_json(raw)
    except ValidationError as exc:
        return LineResult(line=line_no, status="error", errors=validation_errors(exc))


def parse_obj(line_no: int, obj: Any) -> InteractionIn | LineResult:
    """An already-decoded object (importers) -> a validated record, or its error report."""
    try:
        return InteractionIn.model_validate(obj)
    except ValidationError as exc:
        return LineResult(line=line_no, status="error", errors=validation_errors(exc))


def content_hash(record: InteractionIn) -> str:
    """A stable 128-bit digest of a record's content."""
    return hashlib.blake2b(record.model_dump_json().encode(), digest_size=16).hexdigest()


@dataclass
class _Plan:
    line: int
    record: InteractionIn
    digest: str
    existing_id: uuid.UUID | None = None
    interaction_id: uuid.UUID = field(default_factory=new_id)


def ingest_batch(
    session: Session, *, org_id: uuid.UUID, items: list[tuple[int, InteractionIn]], redactor: Redactor | None = None
) -> list[LineResult]:
    """Write one batch in the caller's transaction; returns one result per item, in order.

    The content hash is taken before redaction, so a re-sent record is recognised as unchanged.
    """
    results: dict[int, LineResult] = {}
    plans: list[_Plan] = []
    seen: dict[tuple[str, str], int] = {}
    for line, rec in items:
        key = (rec.source, rec.external_id)
        if key in seen:
            results[line] = LineResult(
                line=line,
                status="error",
                external_id=rec.external_id,
                errors=[FieldError(field="external_id", message=f"duplicate of line {seen[key]} in the same batch")],
            )
            continue
        seen[key] = line
        plans.append(_Plan(line=line, record=rec, digest=content_hash(rec)))
    existing = _existing(session, org_id, [(p.record.source, p.record.external_id) for p in plans])
    to_write: list[_Plan] = []
    for plan in plans:
        hit = existing.get((plan.record.source, plan.record.external_id))
        if hit is not None and hit[1] == plan.digest:
            results[plan.line] = LineResult(
                line=plan.line, status="unchanged", external_id=plan.record.external_id, id=str(hit[0])
            )
            continue
        if hit is not None:
            plan.existing_id = plan.interaction_id = hit[0]
        to_write.append(plan)
    if to_write:
        originals = _redact(to_write, redactor) if redactor is not None else {}
        _write(session, org_id, to_write)
        for plan in to_write:
            if redactor is not None and originals.get(plan.line):
                redactor.keep_originals(
                    session, org_id=org_id, interaction_id=plan.interaction_id, originals=originals[plan.line]
                )
    for plan in to_write:
        status = "updated" if plan.existing_id else "created"
        results[plan.line] = LineResult(
            line=plan.line, status=status, external_id=plan.record.external_id, id=str(plan.interaction_id)
        )
    ended = [str(p.interaction_id) for p in to_write if p.record.ended_at is not None]
    if ended:
        emit(session, org_id=org_id, event=InteractionsEnded(interaction_ids=ended, source=to_write[0].record.source))
    return [results[line] for line, _ in items]


def _redact(plans: list[_Plan], redactor: Redactor) -> dict[int, list[tuple[int, str]]]:
    """Replace each turn's text by its redacted form; returns the changed originals per line."""
    out: dict[int, list[tuple[int, str]]] = {}
    for plan in plans:
        for seq, turn in enumerate(plan.record.turns):
            clean = redactor.redact(turn.text)
            if clean != turn.text:
                out.setdefault(plan.line, []).append((seq, turn.text))
                turn.text = clean
    return out


def _existing(
    session: Session, org_id: uuid.UUID, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[uuid.UUID, str]]:
    if not keys:
        return {}
    rows = session.execute(
        select(Interaction.source, Interaction.external_id, Interaction.id, Interaction.content_hash).where(
            Interaction.org_id == org_id, tuple_(Interaction.source, Interaction.external_id).in_(keys)
        )
    )
    return {(s, e): (i, h) for s, e, i, h in rows}


def _references(plans: list[_Plan]) -> tuple[dict[str, str], dict[str, str], dict[tuple[str, str], dict[str, Any]]]:
    """Queue codes (with channel), agent codes (with kind) and customer keys the batch refers to."""
    queues: dict[str, str] = {}
    agents: dict[str, str] = {}
    customers: dict[tuple[str, str], dict[str, Any]] = {}
    ai = Speaker.AI
    for p in plans:
        rec = p.record
        if rec.queue:
            queues.setdefault(rec.queue, rec.channel.value)
        for part in rec.participants:
            agents.setdefault(part.agent, part.kind.value)
        for turn in rec.turns:
            if turn.agent:
                agents.setdefault(turn.agent, AgentKind.AI.value if turn.speaker is ai else "human")
        if rec.customer:
            customers.setdefault(
                (rec.customer.source or rec.source, rec.customer.external_id),
                rec.customer.model_dump(exclude={"source", "external_id"}),
            )
    return queues, agents, customers


class _RowBuilder:
    """Driver-ready rows for the turn and participant tables (the largest by far).

    SQLAlchemy's per-value parameter processing was a quarter of ingestion time (profiled), so these two tables
    go straight to the driver's executemany; the only conversion needed is of the UUID columns, which SQLite
    stores as 32-character hex and PostgreSQL natively. Each id is converted once per interaction or agent.
    """

    def __init__(self, dialect: str, agent_ids: dict[str, uuid.UUID]) -> None:
        self.sqlite = dialect == "sqlite"
        self.agents: dict[str, Any] = {k: (v.hex if self.sqlite else v) for k, v in agent_ids.items()}
        self.turns: list[tuple[Any, ...]] = []
        self.participants: list[tuple[Any, ...]] = []

    def add(self, interaction_id: uuid.UUID, rec: InteractionIn) -> tuple[bool, list[float]]:
        """Rows of one interaction; returns (an AI spoke, the customer's sentiment values in order)."""
        iid: Any = interaction_id.hex if self.sqlite else interaction_id
        agents = self.agents
        self.participants.extend(
            (iid, i, agents[part.agent], str(part.kind), str(part.role), part.joined_offset_ms)
            for i, part in enumerate(rec.participants)
        )
        ai_spoke = False
        sentiments: list[float] = []
        append = self.turns.append
        ai, customer = Speaker.AI, Speaker.CUSTOMER
        for i, t in enumerate(rec.turns):
            speaker = t.speaker
            if speaker is ai:
                ai_spoke = True
            elif speaker is customer and t.sentiment is not None:
                sentiments.append(t.sentiment)
            # str() of a StrEnum is its value at C speed (`.value` is a slow descriptor on Python 3.11)
            append(
                (
                    iid,
                    i,
                    str(speaker),
                    t.offset_ms,
                    t.end_offset_ms,
                    t.text,
                    agents[t.agent] if t.agent else None,
                    t.sentiment,
                )
            )
        return ai_spoke, sentiments

    def insert(self, session: Session) -> None:
        conn = session.connection()
        mark = "?" if self.sqlite else "%s"
        for table, columns, rows in (
            ("interaction_participant", _PARTICIPANT_COLUMNS, self.participants),
            ("interaction_turn", _TURN_COLUMNS, self.turns),
        ):
            if rows:
                marks = ", ".join([mark] * len(columns))
                conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


_TURN_COLUMNS = ("interaction_id", "seq", "speaker", "offset_ms", "end_offset_ms", "text", "agent_id", "sentiment")
_PARTICIPANT_COLUMNS = ("interaction_id", "seq", "agent_id", "kind", "role", "joined_offset_ms")


def _write(session: Session, org_id: uuid.UUID, plans: list[_Plan]) -> None:
    queues, agents, customers = _references(plans)
    queue_rows = ensure_queues(session, org_id, queues)
    agent_rows = ensure_agents(session, org_id, agents)
    customer_ids = ensure_customers(session, org_id, customers)
    updated = [p.existing_id for p in plans if p.existing_id is not None]
    if updated:
        session.execute(delete(Turn).where(Turn.interaction_id.in_(updated)))
        session.execute(delete(InteractionParticipant).where(InteractionParticipant.interaction_id.in_(updated)))
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    rows = _RowBuilder(session.connection().dialect.name, {code: row.id for code, row in agent_rows.items()})
    for p in plans:
        ai_spoke, sentiments = rows.add(p.interaction_id, p.record)
        row = _interaction_row(org_id, p, queue_rows, agent_rows, customer_ids, now, ai_spoke, sentiments)
        if p.existing_id is None:
            new_rows.append(row)
        else:
            session.execute(
                update(Interaction)
                .where(Interaction.id == p.existing_id)
                .values({k: v for k, v in row.items() if k not in ("id", "created_at")})
            )
    # Core insert for the interactions (typed columns: timestamps, JSON); one executemany. The ORM bulk path
    # splits rows into a statement per run of identical None-patterns, i.e. nearly one per row.
    # `documentation` is left out so it stays SQL NULL (a JSON column would store None as JSON null).
    if new_rows:
        session.execute(insert(cast(Table, Interaction.__table__)), new_rows)
    rows.insert(session)


def _interaction_row(
    org_id: uuid.UUID,
    p: _Plan,
    queues: dict[str, Any],
    agents: dict[str, Any],
    customers: dict[tuple[str, str], uuid.UUID],
    now: Any,
    ai_spoke: bool,
    sentiments: list[float],
) -> dict[str, Any]:
    rec = p.record
    primary = next((a for a in rec.participants if a.role == ParticipantRole.PRIMARY), None)
    primary = primary or (rec.participants[0] if rec.participants else None)
    agent = agents[primary.agent] if primary else None
    kinds = [a.kind for a in rec.participants]
    handed_off = AgentKind.AI in kinds and AgentKind.HUMAN in kinds[kinds.index(AgentKind.AI) :]
    cust_key = (rec.customer.source or rec.source, rec.customer.external_id) if rec.customer else None
    return {
        "id": p.interaction_id,
        "org_id": org_id,
        "source": rec.source,
        "external_id": rec.external_id,
        "content_hash": p.digest,
        "channel": rec.channel.value,
        "queue_id": queues[rec.queue].id if rec.queue else None,
        "customer_id": customers.get(cust_key) if cust_key else None,
        "primary_agent_id": agent.id if agent else None,
        "team_id": agent.team_id if agent else None,
        "started_at": rec.started_at,
        "ended_at": rec.ended_at,
        "talk_s": rec.talk_s,
        "hold_s": rec.hold_s,
        "wrap_s": rec.wrap_s,
        "outcome": rec.outcome.value if rec.outcome else None,
        "disposition": rec.disposition,
        "intent": rec.intent,
        "csat": rec.csat,
        "survey_answered": rec.survey_answered,
        "language": rec.language,
        "ai_involved": AgentKind.AI in kinds or ai_spoke,
        "handed_off": handed_off,
        "turn_count": len(rec.turns),
        "sentiment_start": sentiments[0] if sentiments else None,
        "sentiment_end": sentiments[-1] if sentiments else None,
        "attributes": dict(rec.attributes),
        "created_at": now,
        "updated_at": now,
    }


class BatchIngestor:
    """Feeds records through `ingest_batch` in transactions of `batch_size`, keeping a running summary.

    Each committed batch is acknowledged; a batch that loses a race on the unique key is retried once
    (the second pass sees the other writer's rows as existing), so concurrent re-sends never duplicate.
    """

    def __init__(
        self,
        factory: Any,
        org_id: uuid.UUID,
        batch_size: int = 500,
        on_commit: Any = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.factory = factory
        self.redactor = redactor
        self.org_id = org_id
        self.batch_size = batch_size
        self.summary = BatchSummary()
        self._pending: list[tuple[int, InteractionIn]] = []
        self._on_commit = on_commit

    def add(self, item: InteractionIn | LineResult, line: int) -> None:
        """Queue a parsed record (or record its parse error); flushes when the batch is full."""
        self.summary.received += 1
        if isinstance(item, LineResult):
            self._record(item)
            return
        self._pending.append((line, item))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the pending batch in its own transaction."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        for attempt in range(2):
            session: Session = self.factory()
            try:
                results = ingest_batch(session, org_id=self.org_id, items=batch, redactor=self.redactor)
                session.commit()
                break
            except IntegrityError:
                session.rollback()
                if attempt == 1:
                    raise
            finally:
                session.close()
        for result in results:
            self._record(result)
        if self._on_commit is not None:
            self._on_commit()

    def _record(self, result: LineResult) -> None:
        s = self.summary
        if result.status == "error":
            s.failed += 1
            if len(s.errors) < MAX_REPORTED_ERRORS:
                s.errors.append(result)
            else:
                s.errors_truncated = True
        else:
            setattr(s, result.status, getattr(s, result.status) + 1)


class LineSplitter:
    """Splits a byte stream into numbered NDJSON lines without holding more than one line.

    `feed` and `finish` return (line number, bytes) pairs; bytes is None for a line over the size limit,
    whose remainder is skipped up to its newline.
    """

    def __init__(self, max_line_bytes: int) -> None:
        self.max = max_line_bytes
        self.line_no = 0
        self._buf = b""
        self._skipping = False

    def feed(self, chunk: bytes) -> list[tuple[int, bytes | None]]:
        out: list[tuple[int, bytes | None]] = []
        self._buf += chunk
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                break
            line, self._buf = self._buf[:nl], self._buf[nl + 1 :]
            if self._skipping:
                self._skipping = False
                continue
            self.line_no += 1
            if line.strip():
                out.append((self.line_no, line if len(line) <= self.max else None))
        if not self._skipping and len(self._buf) > self.max:
            self.line_no += 1
            out.append((self.line_no, None))
            self._skipping = True
        if self._skipping:
            self._buf = b""
        return out

    def finish(self) -> list[tuple[int, bytes | None]]:
        if self._skipping or not self._buf.strip():
            return []
        self.line_no += 1
        return [(self.line_no, self._buf)]


def iter_lines(chunks: Iterable[bytes], max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Numbered NDJSON lines of a byte stream (see LineSplitter)."""
    splitter = LineSplitter(max_line_bytes)
    for chunk in chunks:
        yield from splitter.feed(chunk)
    yield from splitter.finish()


def oversized(line: int, limit: int) -> LineResult:
    """The report for a line over the size limit."""
    return LineResult(
        line=line,
        status="error",
        errors=[FieldError(field="(line)", message=f"line is longer than the limit of {limit} bytes")],
    )
