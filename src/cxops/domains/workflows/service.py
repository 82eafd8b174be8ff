"""Rules of the workflows domain: versioned rules, trigger fan-out, durable step execution, dry runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.contracts.workflow_events import STEP_EVENTS, WorkflowRunRequested
from cxops.core.clock import utcnow
from cxops.core.errors import Conflict, NotFound, ValidationFailed
from cxops.core.events import Delivered, emit
from cxops.core.ids import parse_uuids
from cxops.core.models import OutboxEvent
from cxops.domains.directory.public import set_agent_status
from cxops.domains.interactions.public import Interaction, add_tags
from cxops.domains.workflows.compute.rules import Rule, RuleError, find_cycle, matches, parse_rule, render
from cxops.domains.workflows.models import (
    WorkflowDeadLetter,
    WorkflowNotification,
    WorkflowRule,
    WorkflowRun,
    WorkflowTask,
)
from cxops.domains.workflows.ports import WebhookSender

MAX_DEPTH = 5
DRY_RUN_MAX_EVENTS = 1000
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


def save_rule(session: Session, *, org_id: uuid.UUID, source: str) -> WorkflowRule:
    """Store a rule as a new version; refused when it would form a loop with the organisation's rules."""
    rule = parse_or_422(source)
    existing = current_rules(session, org_id)
    others = {r.name: parse_rule(r.source) for r in existing if r.name != rule.name}
    cycle = find_cycle({**others, rule.name: rule})
    if cycle:
        raise ValidationFailed("rules would trigger each other in a loop: " + " -> ".join(cycle), field="source")
    previous = next((r for r in existing if r.name == rule.name), None)
    if previous is not None:
        previous.is_current = False
    row = WorkflowRule(
        org_id=org_id,
        name=rule.name,
        version=(previous.version + 1) if previous else 1,
        is_current=True,
        enabled=rule.enabled,
        trigger=rule.trigger,
        event_type=rule.event_type,
        source=source,
    )
    session.add(row)
    session.flush()
    return row


def set_enabled(session: Session, *, rule: WorkflowRule, enabled: bool) -> WorkflowRule:
    """Enable or disable the current version of a rule (enabling re-checks for loops)."""
    if not rule.is_current:
        raise Conflict("only the current version of a rule can be enabled or disabled", field="rule")
    if enabled and not rule.enabled:
        parsed = {r.name: parse_rule(r.source) for r in current_rules(session, rule.org_id) if r.enabled}
        parsed[rule.name] = parse_rule(rule.source)
        cycle = find_cycle(parsed)
        if cycle:
            raise ValidationFailed("enabling would create a loop: " + " -> ".join(cycle), field="enabled")
    rule.enabled = enabled
    return rule


def contexts_for(
    session: Session, org_id: uuid.UUID, event_type: str, payload: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """(subject, context) pairs a rule is evaluated on: one per interaction or evaluation for batch events, else
    the payload."""
    if event_type == "qa.evaluations_scored":
        return [(str(item.get("interaction_id", "")), item) for item in payload.get("evaluations", [])]
    if event_type != "interactions.ended":
        return [("", payload)]
    ids = parse_uuids(payload.get("interaction_ids", []))
    rows: Iterable[Interaction] = (
        session.scalars(select(Interaction).where(Interaction.org_id == org_id, Interaction.id.in_(ids))) if ids else []
    )
    out = []
    for row in rows:
        ctx: dict[str, Any] = {name: getattr(row, name) for name in _INTERACTION_FIELDS}
        ctx.update(
            interaction_id=str(row.id),
            customer_id=str(row.customer_id) if row.customer_id else None,
            queue_id=str(row.queue_id) if row.queue_id else None,
            team_id=str(row.team_id) if row.team_id else None,
            handle_s=row.talk_s + row.hold_s + row.wrap_s,
            started_at=row.started_at.isoformat(),
        )
        out.append((str(row.id), ctx))
    return out


def on_event(session: Session, event: Delivered) -> int:
    """Create a run (and its durable job) for every enabled rule whose conditions the event meets."""
    rules = current_rules(session, event.org_id, event.type)
    if not rules:
        return 0
    causation = event.payload.get("causation") or {}
    chain, depth = list(causation.get("rules", [])), int(causation.get("depth", 0))
    created = 0
    parsed = [(row, parse_rule(row.source)) for row in rules]  # once per event, not once per interaction of it
    for subject, ctx in contexts_for(session, event.org_id, event.type, event.payload):
        for row, rule in parsed:
            ok, _ = matches(rule, ctx)
            if not ok:
                continue
            looping = row.name in chain or depth >= MAX_DEPTH
            run = WorkflowRun(
                org_id=event.org_id,
                rule_id=row.id,
                event_id=event.id,
                subject=subject,
                status="loop_stopped" if looping else "pending",
                context={**ctx, "_chain": [*chain, row.name]},
                steps=[],
                depth=depth,
                finished_at=utcnow() if looping else None,
            )
            session.add(run)
            session.flush()
            if not looping:
                emit(session, org_id=event.org_id, event=WorkflowRunRequested(run_id=str(run.id)))
            created += 1
    return created


def execute_run(session: Session, *, run_id: uuid.UUID, sender: WebhookSender) -> WorkflowRun:
    """Execute a run's remaining steps in order, recording each outcome; resumes after a crash."""
    run = session.get(WorkflowRun, run_id)
    if run is None:
        raise NotFound(f"workflow run {run_id} not found")
    if run.status in ("succeeded", "failed", "loop_stopped"):
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
    run.status, run.finished_at = "succeeded", utcnow()
    return run


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
    return {"status": "succeeded", "detail": f"approval {task.id} requested, expires in {hours:g} h"}


_STEP_RUNNERS = {
    "webhook": _webhook,
    "create_task": _create_task,
    "notify": _notify,
    "tag": _tag,
    "pause_automation": _pause,
    "request_approval": _approval,
}


def decide_task(task: WorkflowTask, *, decision: str, reason: str, who: str) -> WorkflowTask:
    """Close a task, or approve/reject an approval with a reason (expired approvals cannot be decided)."""
    if task.kind == "approval":
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
    return task


def dry_run(session: Session, *, org_id: uuid.UUID, source: str, since: datetime | None, limit: int) -> dict[str, Any]:
    """Evaluate a rule against past events without executing anything: which would fire and what they would do."""
    rule = parse_or_422(source)
    stmt = select(OutboxEvent).where(OutboxEvent.org_id == org_id, OutboxEvent.type == rule.event_type)
    if since is not None:
        stmt = stmt.where(OutboxEvent.created_at >= since)
    events = list(session.scalars(stmt.order_by(OutboxEvent.created_at.desc()).limit(min(limit, DRY_RUN_MAX_EVENTS))))
    would: list[dict[str, Any]] = []
    evaluated = 0
    for ev in events:
        for subject, ctx in contexts_for(session, org_id, ev.type, ev.payload):
            evaluated += 1
            ok, notes = matches(rule, ctx)
            if ok and len(would) < 200:
                would.append(
                    {
                        "event_id": str(ev.id),
                        "subject": subject,
                        "at": ev.created_at.isoformat(),
                        "conditions": notes,
                        "steps": [{"kind": s.kind, "params": render(s.params, ctx)} for s in rule.steps],
                    }
                )
    return {
        "rule": rule.name,
        "trigger": rule.trigger,
        "events_examined": len(events),
        "subjects_evaluated": evaluated,
        "would_run": len(would),
        "examples": would,
    }
