"""Rules of the workflows domain: versioned rules, trigger fan-out, durable step execution, dry runs, backfills.

A rule acts on facts from its `active_from` on: an interaction that ended, an evaluation of an interaction that
ended, or any other event, at or after it. Saving a rule makes it act from now (unless told otherwise), a new
version keeps its predecessor's time, enabling a disabled rule restarts it from now. Acting on older facts is an
explicit `backfill`, idempotent like the live consumer (one run per rule, event and subject).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxops.contracts.workflow_events import STEP_EVENTS, WorkflowRunRequested
from cxops.core.clock import as_utc, utcnow
from cxops.core.db import savepoint
from cxops.core.errors import Conflict, NotFound, ValidationFailed
from cxops.core.events import Delivered, emit
from cxops.core.ids import id_time_or, parse_uuids
from cxops.core.models import OutboxEvent
from cxops.domains.actions.public import close_breaker
from cxops.domains.directory.public import set_agent_status
from cxops.domains.interactions.public import Interaction, add_tags
from cxops.domains.workflows.compute.rules import (
    GATE,
    Rule,
    RuleError,
    find_cycle,
    gated,
    holds,
    matches,
    parse_rule,
    render,
)
from cxops.domains.workflows.models import (
    WorkflowDeadLetter,
    WorkflowNotification,
    WorkflowRule,
    WorkflowRun,
    WorkflowTask,
)
from cxops.domains.workflows.ports import WebhookSender

MAX_DEPTH = 5
#: A run waiting for the decision of its approval (the steps after a `request_approval`).
AWAITING = "awaiting_approval"
#: Statuses of a run that is over: nothing executes it again.
FINISHED = frozenset({"succeeded", "failed", "loop_stopped", "rejected", "expired"})
DRY_RUN_MAX_EVENTS = 1000
DRY_RUN_MAX_EXAMPLES = 200
BACKFILL_MAX_EVENTS = 10_000
_SCAN_CHUNK = 200
_INTERACTION_FIELDS = (
    "channel",
    "intent",
    "outcome",
    "disposition",
    "csat",
    "survey_answered",
    "ai_involved",
    "handed_off",
    "sentiment_start",
    "sentiment_end",
    "turn_count",
    "talk_s",
    "hold_s",
    "wrap_s",
    "source",
    "external_id",
)
#: What a subject of an ended interaction is made of: its id and directory ids, its times, then _INTERACTION_FIELDS.
#: Read as columns, not entities: a dry run or backfill reads tens of thousands of interactions, and loading each as
#: an ORM object (identity map, columns it never reads) and explaining every verdict made the demo's dry run over
#: 77,586 interactions take 4.5 s of CPU (2.2 s now: examples are explained, the rest only evaluated).
_SUBJECT_COLUMNS = (
    Interaction.id,
    Interaction.customer_id,
    Interaction.queue_id,
    Interaction.team_id,
    Interaction.started_at,
    Interaction.ended_at,
    *(getattr(Interaction, name) for name in _INTERACTION_FIELDS),
)


def parse_or_422(source: str) -> Rule:
    """Parse a rule; a bad rule is a 422 naming its line."""
    try:
        return parse_rule(source)
    except RuleError as exc:
        raise ValidationFailed(str(exc), field="source", details={"line": exc.line}) from None


def current_rules(session: Session, org_id: uuid.UUID, event_type: str | None = None) -> list[WorkflowRule]:
    stmt = select(WorkflowRule).where(WorkflowRule.org_id == org_id, WorkflowRule.is_current.is_(True))
    if event_type is not None:
        stmt = stmt.where(WorkflowRule.event_type == event_type, WorkflowRule.enabled.is_(True))
    return list(session.scalars(stmt.order_by(WorkflowRule.name)))


def rule_by_name(session: Session, org_id: uuid.UUID, name: str) -> WorkflowRule | None:
    """The current version of the rule called `name`, or None."""
    return next((r for r in current_rules(session, org_id) if r.name == name), None)


def save_rule(
    session: Session, *, org_id: uuid.UUID, source: str, applies_from: datetime | None = None
) -> WorkflowRule:
    """Store a rule as a new version; refused when it would form a loop with the organisation's rules.

    A new rule acts on facts from now; a new version keeps the time of the version it replaces (or now, when it
    switches a disabled rule on). `applies_from` sets that time explicitly: any time in the past, never the future.
    """
    now = utcnow()
    if applies_from is not None:
        applies_from = as_utc(applies_from)
        if applies_from > now:
            raise ValidationFailed(
                f"applies_from {applies_from.isoformat()} is in the future: a rule can act on facts from now or an "
                "earlier time",
                field="applies_from",
            )
    rule = parse_or_422(source)
    existing = current_rules(session, org_id)
    others = {r.name: parse_rule(r.source) for r in existing if r.name != rule.name}
    cycle = find_cycle({**others, rule.name: rule})
    if cycle:
        raise ValidationFailed("rules would trigger each other in a loop: " + " -> ".join(cycle), field="source")
    previous = next((r for r in existing if r.name == rule.name), None)
    if previous is not None:
        previous.is_current = False
    if applies_from is not None:
        active_from = applies_from
    elif previous is None or (rule.enabled and not previous.enabled):
        active_from = now
    else:
        active_from = previous.active_from
    row = WorkflowRule(
        org_id=org_id,
        name=rule.name,
        version=(previous.version + 1) if previous else 1,
        is_current=True,
        enabled=rule.enabled,
        trigger=rule.trigger,
        event_type=rule.event_type,
        source=source,
        active_from=active_from,
    )
    session.add(row)
    session.flush()
    return row


def set_enabled(session: Session, *, rule: WorkflowRule, enabled: bool) -> WorkflowRule:
    """Enable or disable the current version of a rule (enabling re-checks for loops).

    Enabling a disabled rule sets its `active_from` to now: what happened while it was off is not acted on (a
    backfill does that on purpose). Enabling an enabled rule changes nothing.
    """
    if not rule.is_current:
        raise Conflict("only the current version of a rule can be enabled or disabled", field="rule")
    if enabled and not rule.enabled:
        parsed = {r.name: parse_rule(r.source) for r in current_rules(session, rule.org_id) if r.enabled}
        parsed[rule.name] = parse_rule(rule.source)
        cycle = find_cycle(parsed)
        if cycle:
            raise ValidationFailed("enabling would create a loop: " + " -> ".join(cycle), field="enabled")
        rule.active_from = utcnow()
    rule.enabled = enabled
    return rule


@dataclass(frozen=True, slots=True)
class Subject:
    """What a rule is evaluated on for one event: its key (an interaction id, or ''), the fields conditions read,
    and the fact time (when what it describes happened) compared with the rule's `active_from`."""

    key: str
    context: dict[str, Any]
    at: datetime


def _ended(ended_at: datetime | None, started_at: datetime) -> datetime:
    return as_utc(ended_at or started_at)


def contexts_for(
    session: Session,
    org_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    event_at: datetime,
    since: datetime | None = None,
) -> list[Subject]:
    """The subjects a rule is evaluated on: one per interaction or evaluation for batch events, else the payload.

    Fact time: an interaction's end (its start when it has no end), the scored interaction's for an evaluation,
    else the event's own time `event_at`. With `since`, only subjects whose fact time is at or after it.
    """
    if event_type == "qa.evaluations_scored":
        items = [item for item in payload.get("evaluations", []) if isinstance(item, dict)]
        ids = parse_uuids(item.get("interaction_id", "") for item in items)
        ended = (
            {
                row.id: _ended(row.ended_at, row.started_at)
                for row in session.execute(
                    select(Interaction.id, Interaction.ended_at, Interaction.started_at).where(
                        Interaction.org_id == org_id, Interaction.id.in_(ids)
                    )
                )
            }
            if ids
            else {}
        )
        out = []
        for item in items:
            key = str(item.get("interaction_id", ""))
            at = next((ended[i] for i in parse_uuids([key]) if i in ended), event_at)
            if since is None or at >= since:
                out.append(Subject(key, item, at))
        return out
    if event_type != "interactions.ended":
        return [Subject("", payload, event_at)] if since is None or event_at >= since else []
    ids = parse_uuids(payload.get("interaction_ids", []))
    if not ids:
        return []
    # in id order: the order SQLite returned them in without it, now the same on every database
    stmt = (
        select(*_SUBJECT_COLUMNS).where(Interaction.org_id == org_id, Interaction.id.in_(ids)).order_by(Interaction.id)
    )
    if since is not None:
        stmt = stmt.where(
            or_(
                Interaction.ended_at >= since,
                and_(Interaction.ended_at.is_(None), Interaction.started_at >= since),
            )
        )
    out = []
    for row_id, customer_id, queue_id, team_id, started_at, ended_at, *values in session.execute(stmt):
        ctx: dict[str, Any] = dict(zip(_INTERACTION_FIELDS, values, strict=True))
        key = str(row_id)
        ctx.update(
            interaction_id=key,
            customer_id=str(customer_id) if customer_id else None,
            queue_id=str(queue_id) if queue_id else None,
            team_id=str(team_id) if team_id else None,
            handle_s=ctx["talk_s"] + ctx["hold_s"] + ctx["wrap_s"],
            started_at=started_at.isoformat(),
        )
        out.append(Subject(key, ctx, _ended(ended_at, started_at)))
    return out


def _start_runs(
    session: Session,
    *,
    org_id: uuid.UUID,
    event_id: uuid.UUID,
    payload: dict[str, Any],
    rules: Sequence[tuple[WorkflowRule, Rule, datetime]],
    subjects: list[Subject],
) -> tuple[int, int]:
    """Create a run (and its durable job) for each (rule, subject) of one event where the subject's fact time is at
    or after the rule's threshold and its conditions hold; a run that exists already for the rule, event and subject
    is left alone, also when another transaction commits it between the check and the insert (a backfill racing
    the live consumer). Returns (runs created, runs already present)."""
    if not subjects or not rules:
        return 0, 0
    existing = {
        (rule_id, key)
        for rule_id, key in session.execute(
            select(WorkflowRun.rule_id, WorkflowRun.subject).where(
                WorkflowRun.event_id == event_id, WorkflowRun.rule_id.in_([row.id for row, _, _ in rules])
            )
        )
    }
    causation = payload.get("causation") or {}
    chain, depth = list(causation.get("rules", [])), int(causation.get("depth", 0))
    created = present = 0
    for subject in subjects:
        for row, rule, threshold in rules:
            if subject.at < threshold or not holds(rule, subject.context):
                continue
            if (row.id, subject.key) in existing:
                present += 1
                continue
            looping = row.name in chain or depth >= MAX_DEPTH
            run = WorkflowRun(
                org_id=org_id,
                rule_id=row.id,
                event_id=event_id,
                subject=subject.key,
                status="loop_stopped" if looping else "pending",
                context={**subject.context, "_chain": [*chain, row.name]},
                steps=[],
                depth=depth,
                finished_at=utcnow() if looping else None,
            )
            existing.add((row.id, subject.key))
            try:
                with savepoint(session):  # a backfill (or a second dispatcher) may have made it meanwhile
                    session.add(run)
                    session.flush()
            except IntegrityError:
                present += 1  # only this run's savepoint rolls back: the event's other runs are kept
                continue
            if not looping:
                emit(session, org_id=org_id, event=WorkflowRunRequested(run_id=str(run.id)))
            created += 1
    return created, present


def on_event(session: Session, event: Delivered) -> int:
    """Create a run (and its durable job) for every enabled rule whose conditions the event meets, for subjects
    whose fact time is at or after the rule's `active_from`; a run a backfill already made is not made again."""
    rules = current_rules(session, event.org_id, event.type)
    if not rules:
        return 0
    # parsed once per event, not once per interaction of it
    parsed = [(row, parse_rule(row.source), as_utc(row.active_from)) for row in rules]
    subjects = contexts_for(
        session,
        event.org_id,
        event.type,
        event.payload,
        event_at=id_time_or(event.id, utcnow()),
        since=min(threshold for _, _, threshold in parsed),
    )
    created, _ = _start_runs(
        session, org_id=event.org_id, event_id=event.id, payload=event.payload, rules=parsed, subjects=subjects
    )
    return created


def _past_events(
    session: Session, *, org_id: uuid.UUID, event_type: str, since: datetime | None, limit: int
) -> tuple[list[uuid.UUID], bool]:
    """Ids of stored events of `event_type`, newest first, created at or after `since` (an event announces no fact
    later than itself), at most `limit`; and whether older ones were left out."""
    stmt = select(OutboxEvent.id).where(OutboxEvent.org_id == org_id, OutboxEvent.type == event_type)
    if since is not None:
        stmt = stmt.where(OutboxEvent.created_at >= since)
    ids = list(session.scalars(stmt.order_by(OutboxEvent.created_at.desc(), OutboxEvent.id.desc()).limit(limit + 1)))
    return ids[:limit], len(ids) > limit


def _scan(
    session: Session, *, org_id: uuid.UUID, event_ids: list[uuid.UUID], since: datetime | None
) -> Iterator[tuple[OutboxEvent, list[Subject]]]:
    """What dry runs and backfills look at: the events of `_past_events`, in its order, each with its subjects whose
    fact time is at or after `since` (all of them without it); loaded in chunks so memory stays bounded."""
    for start in range(0, len(event_ids), _SCAN_CHUNK):
        chunk = event_ids[start : start + _SCAN_CHUNK]
        rows = {e.id: e for e in session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(chunk)))}
        for event_id in chunk:
            ev = rows[event_id]
            at = id_time_or(ev.id, as_utc(ev.created_at))
            yield ev, contexts_for(session, org_id, ev.type, ev.payload, event_at=at, since=since)


def backfill(session: Session, *, rule: WorkflowRule, since: datetime, max_events: int) -> dict[str, Any]:
    """Apply a rule to past facts on purpose: a run for every subject of its stored events (created at or after
    `since`, newest first, at most `max_events`) whose fact time is at or after `since` and that meets its
    conditions, exactly as the live consumer would have made it. Idempotent: a run that exists for the rule, event
    and subject is counted as present, not made again (and the live consumer makes none later)."""
    if not rule.is_current:
        raise Conflict(
            f"version {rule.version} of rule '{rule.name}' is not its current version: only the current version "
            "can be applied to past facts",
            field="rule",
        )
    if not rule.enabled:
        raise Conflict(f"rule '{rule.name}' is disabled: enable it before applying it to past facts", field="enabled")
    since = as_utc(since)
    if since > utcnow():
        raise ValidationFailed(
            f"since {since.isoformat()} is in the future: a backfill applies a rule to past facts", field="since"
        )
    if not 1 <= max_events <= BACKFILL_MAX_EVENTS:
        raise ValidationFailed(f"max_events must be between 1 and {BACKFILL_MAX_EVENTS}", field="max_events")
    parsed = [(rule, parse_rule(rule.source), since)]
    ids, more = _past_events(session, org_id=rule.org_id, event_type=rule.event_type, since=since, limit=max_events)
    evaluated = created = present = 0
    for ev, subjects in _scan(session, org_id=rule.org_id, event_ids=ids, since=since):
        evaluated += len(subjects)
        made, had = _start_runs(
            session, org_id=rule.org_id, event_id=ev.id, payload=ev.payload, rules=parsed, subjects=subjects
        )
        created += made
        present += had
    return {
        "rule": rule.name,
        "version": rule.version,
        "since": since,
        "events_examined": len(ids),
        "subjects_evaluated": evaluated,
        "runs_created": created,
        "runs_already_present": present,
        "more_events": more,
    }


def execute_run(session: Session, *, run_id: uuid.UUID, sender: WebhookSender) -> WorkflowRun:
    """Execute a run's remaining steps in order, recording each outcome; resumes after a crash.

    Each step's effect and its record commit together (the consumer's transaction), so a redelivered or retried
    request starts at the first step not recorded: no step runs twice. After a `request_approval` step the run
    waits (`awaiting_approval`, nothing more executes) until `decide_task` approves it, which requests the run
    again (a new `workflows.run_requested`), or rejects it, or it expires (`expire_approvals`): both end it.
    """
    # locked: a second delivery of a request for the same run (another worker) waits, then finds it done
    run = session.get(WorkflowRun, run_id, with_for_update=True)
    if run is None:
        raise NotFound(f"workflow run {run_id} not found")
    if run.status in FINISHED or run.status == AWAITING:
        return run
    rule_row = session.get(WorkflowRule, run.rule_id)
    rule = parse_rule(rule_row.source)  # type: ignore[union-attr]
    run.status = "running"
    for index in range(len(run.steps), len(rule.steps)):
        step = rule.steps[index]
        params = render(step.params, run.context)
        try:
            result = _STEP_RUNNERS[step.kind](session, run, index, params, sender)
        except (ValidationFailed, NotFound, Conflict) as exc:
            result = {"status": "failed", "detail": exc.message}
        run.steps = [*run.steps, {"index": index, "kind": step.kind, "at": utcnow().isoformat(), **result}]
        if result["status"] != "succeeded":
            run.status, run.finished_at = "failed", utcnow()
            return run
        if step.kind == GATE:
            run.status = AWAITING  # the steps after it (if any) wait for the decision; so does the run's outcome
            return run
    run.status, run.finished_at = "succeeded", utcnow()
    return run


def _gated_run(session: Session, task: WorkflowTask) -> WorkflowRun | None:
    """The run waiting for the decision of approval `task`, or None (a run started before approvals gated steps,
    or one whose approval was already settled)."""
    run = session.get(WorkflowRun, task.run_id) if task.run_id else None
    if run is None or run.status != AWAITING or not run.steps:
        return None
    last = run.steps[-1]
    return run if last.get("kind") == GATE and last.get("task_id") == str(task.id) else None


def _settle(session: Session, task: WorkflowTask) -> None:
    """Apply the settled approval `task` to the run waiting for it: the decision is written on the approval step;
    approved, the run is requested again to execute its remaining steps (durably, through the run consumer);
    rejected or expired, the run ends so, its remaining steps recorded as skipped."""
    run = _gated_run(session, task)
    if run is None:
        return
    now = utcnow()
    decision = {"decision": task.status, "decided_by": task.decided_by, "decision_reason": task.decision_reason}
    run.steps = [*run.steps[:-1], {**run.steps[-1], **decision, "decided_at": now.isoformat()}]
    if task.status == "approved":
        approval = {
            "task_id": str(task.id),
            "decision": task.status,
            "by": task.decided_by or "",
            "reason": task.decision_reason or "",
        }
        run.context = {**run.context, "approval": approval}
        run.status = "pending"
        emit(session, org_id=run.org_id, event=WorkflowRunRequested(run_id=str(run.id)))
        return
    rule_row = session.get(WorkflowRule, run.rule_id)
    rule = parse_rule(rule_row.source)  # type: ignore[union-attr]
    why = "the approval was rejected" if task.status == "rejected" else "the approval expired undecided"
    skipped = [
        {
            "index": i,
            "kind": rule.steps[i].kind,
            "at": now.isoformat(),
            "status": "skipped",
            "detail": f"not run: {why}",
        }
        for i in range(len(run.steps), len(rule.steps))
    ]
    run.steps = [*run.steps, *skipped]
    run.status, run.finished_at = task.status, now


def expire_approvals(session: Session, *, org_id: uuid.UUID | None = None) -> int:
    """Mark pending approvals past their expiry 'expired' (of one organisation, or all) and end the runs that
    waited for them as 'expired', their remaining steps skipped. Returns how many expired."""
    stmt = select(WorkflowTask).where(
        WorkflowTask.kind == "approval", WorkflowTask.status == "pending", WorkflowTask.expires_at < utcnow()
    )
    if org_id is not None:
        stmt = stmt.where(WorkflowTask.org_id == org_id)
    tasks = list(session.scalars(stmt.with_for_update(skip_locked=True)))  # one reader settles each
    for task in tasks:
        task.status = "expired"
        _settle(session, task)
    return len(tasks)


def _announce(session: Session, run: WorkflowRun, kind: str, detail: dict[str, Any]) -> None:
    """Publish what a step did, carrying the rule chain so loops are caught downstream."""
    causation = {"rules": run.context.get("_chain", []), "depth": run.depth + 1}
    event = STEP_EVENTS[kind](kind=kind, run_id=str(run.id), detail=detail, causation=causation)
    emit(session, org_id=run.org_id, event=event)


def _webhook(
    session: Session, run: WorkflowRun, index: int, params: dict[str, Any], sender: WebhookSender
) -> dict[str, Any]:
    secret = os.environ.get(params["secret_env"]) if params.get("secret_env") else None
    if params.get("secret_env") and not secret:
        return {"status": "failed", "detail": f"environment variable {params['secret_env']} is not set"}
    body = params.get("body") or {
        "run_id": str(run.id),
        "event": {k: v for k, v in run.context.items() if k != "_chain"},
    }
    delivery = sender.send(
        url=params["url"],
        body=body,
        secret=secret,
        timeout_s=float(params.get("timeout_s", 5)),
        attempts=min(int(params.get("attempts", 3)), 5),
        idempotency_key=f"{run.id}:{index}",
    )
    if delivery.ok:
        return {
            "status": "succeeded",
            "detail": f"delivered after {delivery.attempts} attempt(s), HTTP {delivery.status}",
        }
    session.add(
        WorkflowDeadLetter(
            org_id=run.org_id,
            run_id=run.id,
            step=index,
            url=params["url"],
            body=body,
            error=delivery.error or "unknown error",
            attempts=delivery.attempts,
        )
    )
    return {"status": "failed", "detail": f"dead-lettered after {delivery.attempts} attempts: {delivery.error}"}


def _create_task(
    session: Session, run: WorkflowRun, _i: int, params: dict[str, Any], _s: WebhookSender
) -> dict[str, Any]:
    task = WorkflowTask(
        org_id=run.org_id,
        run_id=run.id,
        kind="task",
        team=str(params["team"])[:100],
        title=str(params["title"])[:300],
        body=str(params.get("body", "")),
        priority=str(params.get("priority", "normal")),
        status="open",
    )
    session.add(task)
    session.flush()
    _announce(session, run, "create_task", {"task_id": str(task.id), "team": task.team})
    return {"status": "succeeded", "detail": f"task {task.id} for team {task.team}"}


def _notify(session: Session, run: WorkflowRun, _i: int, params: dict[str, Any], _s: WebhookSender) -> dict[str, Any]:
    note = WorkflowNotification(
        org_id=run.org_id,
        run_id=run.id,
        level=str(params.get("level", "info")),
        message=str(params["message"])[:2000],
        roles=list(params.get("roles", [])),
    )
    session.add(note)
    session.flush()
    _announce(session, run, "notify", {"notification_id": str(note.id)})
    return {"status": "succeeded", "detail": "notification shown in the console"}


def _tag(session: Session, run: WorkflowRun, _i: int, params: dict[str, Any], _s: WebhookSender) -> dict[str, Any]:
    target = run.context.get(params.get("interaction_field", "interaction_id"))
    if not target:
        return {"status": "failed", "detail": "the event names no interaction to tag"}
    tags = params["tags"] if isinstance(params["tags"], list) else [params["tags"]]
    merged = add_tags(session, org_id=run.org_id, interaction_id=uuid.UUID(str(target)), tags=[str(t) for t in tags])
    _announce(session, run, "tag", {"interaction_id": str(target), "tags": merged})
    return {"status": "succeeded", "detail": f"tags now {merged}"}


def _pause(session: Session, run: WorkflowRun, _i: int, params: dict[str, Any], _s: WebhookSender) -> dict[str, Any]:
    agent = set_agent_status(session, org_id=run.org_id, code=str(params["agent"]), status="paused")
    _announce(session, run, "pause_automation", {"agent": agent.code, "reason": params.get("reason", "")})
    return {"status": "succeeded", "detail": f"agent {agent.code} paused"}


def _approval(session: Session, run: WorkflowRun, _i: int, params: dict[str, Any], _s: WebhookSender) -> dict[str, Any]:
    hours = float(params.get("expires_in_h", 24))
    task = WorkflowTask(
        org_id=run.org_id,
        run_id=run.id,
        kind="approval",
        team=None,
        title=str(params["title"])[:300],
        body=str(params.get("body", "")),
        status="pending",
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(task)
    session.flush()
    _announce(session, run, "request_approval", {"task_id": str(task.id)})
    return {
        "status": "succeeded",
        "detail": f"approval {task.id} requested, expires in {hours:g} h",
        "task_id": str(task.id),
    }


def _close_breaker(
    session: Session, run: WorkflowRun, _i: int, params: dict[str, Any], _s: WebhookSender
) -> dict[str, Any]:
    """Close an actions circuit breaker; after an approval, its reason and who decided are the closing's (audited)."""
    scope, key = str(params["scope"]), str(params["key"])
    approval = run.context.get("approval") or {}
    said = [str(params.get("reason") or "closed by a workflow rule")]
    if approval.get("reason"):
        said.append(f"{approval['reason']} (approved by {approval.get('by') or 'unknown'})")
    reason = f"{': '.join(said)}; workflow run {run.id}"[:2000]
    by = str(approval.get("by") or f"workflow:{run.id}")[:200]
    closed = close_breaker(session, org_id=run.org_id, scope=scope, key=key, reason=reason, by=by)
    if not closed.closed_now:
        return {
            "status": "succeeded",
            "detail": f"breaker {scope} {key} was already closed (by {closed.changed_by or 'unknown'})",
        }
    return {"status": "succeeded", "detail": f"breaker {scope} {key} closed", "closed_by": by}


_STEP_RUNNERS = {
    "webhook": _webhook,
    "create_task": _create_task,
    "notify": _notify,
    "tag": _tag,
    "pause_automation": _pause,
    "request_approval": _approval,
    "close_breaker": _close_breaker,
}


def decide_task(session: Session, task: WorkflowTask, *, decision: str, reason: str, who: str) -> WorkflowTask:
    """Close a task, or approve/reject an approval with a reason (expired approvals cannot be decided).

    Deciding an approval settles the run waiting for it (`_settle`): approved, its remaining steps execute next (the
    reason and `who` reach them as `approval`); rejected, it ends with them skipped."""
    if task.kind == "approval":
        session.refresh(task, with_for_update=True)  # two supervisors deciding at once: the second sees the first's
        if task.status == "pending" and task.expires_at and task.expires_at < utcnow():
            task.status = "expired"
        if task.status != "pending":
            raise Conflict(f"this approval is already {task.status}", field="decision")
        if decision not in ("approve", "reject"):
            raise ValidationFailed("an approval takes decision 'approve' or 'reject'", field="decision")
        if not reason.strip():
            raise ValidationFailed("a reason is required", field="reason")
        task.status = "approved" if decision == "approve" else "rejected"
    else:
        if decision != "done":
            raise ValidationFailed("a task takes decision 'done'", field="decision")
        if task.status == "done":
            raise Conflict("this task is already done", field="decision")
        task.status = "done"
    task.decision_reason, task.decided_by = reason or None, who
    if task.kind == "approval":
        _settle(session, task)
    return task


def dry_run(session: Session, *, org_id: uuid.UUID, source: str, since: datetime | None, limit: int) -> dict[str, Any]:
    """Evaluate a rule against past events without executing anything: which would fire and what they would do.

    With `since`, it looks at what a backfill from `since` would: events created at or after it, subjects whose fact
    time is at or after it.
    """
    rule = parse_or_422(source)
    since = as_utc(since) if since is not None else None
    ids, _ = _past_events(
        session, org_id=org_id, event_type=rule.event_type, since=since, limit=min(limit, DRY_RUN_MAX_EVENTS)
    )
    after_approval = gated(rule)
    would: list[dict[str, Any]] = []
    evaluated = matched = 0
    for ev, subjects in _scan(session, org_id=org_id, event_ids=ids, since=since):
        for subject in subjects:
            evaluated += 1
            if not holds(rule, subject.context):
                continue
            matched += 1
            if len(would) < DRY_RUN_MAX_EXAMPLES:
                _, notes = matches(rule, subject.context)  # explained for the examples shown only
                would.append(
                    {
                        "event_id": str(ev.id),
                        "subject": subject.key,
                        "at": ev.created_at.isoformat(),
                        "fact_at": subject.at.isoformat(),
                        "conditions": notes,
                        "steps": [
                            {
                                "kind": s.kind,
                                "params": render(s.params, subject.context),
                                "when": "after approval" if later else "now",
                            }
                            for s, later in zip(rule.steps, after_approval, strict=True)
                        ],
                    }
                )
    return {
        "rule": rule.name,
        "trigger": rule.trigger,
        "events_examined": len(ids),
        "subjects_evaluated": evaluated,
        "would_run": matched,  # every match; the examples stop at DRY_RUN_MAX_EXAMPLES
        "examples": would,
    }
