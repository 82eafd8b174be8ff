"""HTTP routes of the workflows domain."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from cxops.core.auth import MANAGERS, READERS, Principal
from cxops.core.clock import utcnow
from cxops.core.errors import Conflict
from cxops.core.repository import get_scoped
from cxops.core.web import DbSession, require
from cxops.domains.workflows import schemas, service
from cxops.domains.workflows.compute.readiness import WEIGHTS
from cxops.domains.workflows.models import (
    WorkflowDeadLetter,
    WorkflowNotification,
    WorkflowRule,
    WorkflowRun,
    WorkflowTask,
)
from cxops.domains.workflows.readiness import readiness

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])
Reader = Annotated[Principal, Depends(require(READERS))]
Manager = Annotated[Principal, Depends(require(MANAGERS))]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/rules", response_model=list[schemas.RuleRead])
def get_rules(session: DbSession, who: Reader) -> Any:
    """The current version of every rule."""
    return service.current_rules(session, who.org_id)


@router.post("/rules", response_model=schemas.RuleRead, status_code=201)
def post_rule(body: schemas.RuleIn, session: DbSession, who: Manager) -> Any:
    """Create a rule, or a new version of the rule with the same name (refused if it would loop).

    A rule acts only on facts from its `active_from` on (an interaction's end, else the event's time): now for a
    new rule, the previous version's time for a new version, or `applies_from` when given (never in the future).
    Use the backfill to act on older facts.
    """
    return service.save_rule(session, org_id=who.org_id, source=body.source, applies_from=body.applies_from)


@router.post("/rules/{rule_id}/enabled", response_model=schemas.RuleRead)
def post_enabled(rule_id: uuid.UUID, session: DbSession, who: Manager, value: bool = True) -> Any:
    """Enable or disable the current version of a rule.

    Enabling a disabled rule sets its `active_from` to now: what happened while it was off is not acted on (use the
    backfill for that).
    """
    rule = get_scoped(session, WorkflowRule, who.org_id, rule_id, "rule")
    return service.set_enabled(session, rule=rule, enabled=value)


@router.post("/rules/{rule_id}/backfill", response_model=schemas.BackfillReport)
def post_backfill(rule_id: uuid.UUID, body: schemas.BackfillIn, session: DbSession, who: Manager) -> Any:
    """Apply the current, enabled version of a rule to past facts: a run for every matching subject of the stored
    events created since `since` whose fact time is at or after it. Idempotent: runs that exist are reported as
    present, not made again. Check first with a dry run given the same `since`."""
    rule = get_scoped(session, WorkflowRule, who.org_id, rule_id, "rule")
    return service.backfill(session, rule=rule, since=body.since, max_events=body.max_events)


@router.post("/dry-run")
def post_dry_run(body: schemas.DryRunIn, session: DbSession, who: Reader) -> Any:
    """Evaluate a rule against past events: what would have run, with nothing executed (with `since`, what a
    backfill from `since` would run)."""
    return service.dry_run(session, org_id=who.org_id, source=body.source, since=body.since, limit=body.limit)


@router.get("/runs", response_model=list[schemas.RunRead])
def get_runs(
    session: DbSession,
    who: Reader,
    rule_id: uuid.UUID | None = None,
    status: Annotated[
        str | None,
        Query(pattern="^(pending|running|awaiting_approval|succeeded|failed|rejected|expired|loop_stopped)$"),
    ] = None,
    limit: Limit = 100,
) -> Any:
    """Run history, newest first, with each step's outcome (a run waiting for an approval is `awaiting_approval`;
    one whose approval was rejected or expired is `rejected` or `expired`, its remaining steps skipped)."""
    service.expire_approvals(session, org_id=who.org_id)
    stmt = select(WorkflowRun).where(WorkflowRun.org_id == who.org_id)
    if rule_id is not None:
        stmt = stmt.where(WorkflowRun.rule_id == rule_id)
    if status is not None:
        stmt = stmt.where(WorkflowRun.status == status)
    return list(session.scalars(stmt.order_by(WorkflowRun.created_at.desc()).limit(limit)))


@router.get("/runs/{run_id}", response_model=schemas.RunRead)
def get_run(run_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    service.expire_approvals(session, org_id=who.org_id)
    return get_scoped(session, WorkflowRun, who.org_id, run_id, "run")


@router.get("/tasks", response_model=list[schemas.TaskRead])
def get_tasks(
    session: DbSession,
    who: Reader,
    team: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(pattern="^(open|done|pending|approved|rejected|expired)$")] = None,
    limit: Limit = 100,
) -> Any:
    """Tasks, cases and approval requests created by rules (an approval past its expiry is `expired`, and so is
    the run that waited for it)."""
    service.expire_approvals(session, org_id=who.org_id)
    stmt = select(WorkflowTask).where(WorkflowTask.org_id == who.org_id)
    if team:
        stmt = stmt.where(WorkflowTask.team == team)
    if status:
        stmt = stmt.where(WorkflowTask.status == status)
    return list(session.scalars(stmt.order_by(WorkflowTask.created_at.desc()).limit(limit)))


@router.post("/tasks/{task_id}/decision", response_model=schemas.TaskRead)
def post_task_decision(task_id: uuid.UUID, body: schemas.TaskDecision, session: DbSession, who: Manager) -> Any:
    """Close a task, or approve/reject an approval request with a reason. Approving lets the run that waits for it
    execute its remaining steps (right after, through the run consumer); rejecting ends it, those steps skipped.
    Who decided is recorded as the breaker changes record it: the key's subject, else `key:<api key id>`."""
    task = get_scoped(session, WorkflowTask, who.org_id, task_id, "task")
    by = (who.subject or f"key:{who.key_id}")[:100]
    return service.decide_task(session, task, decision=body.decision, reason=body.reason, who=by)


@router.get("/notifications", response_model=list[schemas.NotificationRead])
def get_notifications(session: DbSession, who: Reader, unread: bool = False, limit: Limit = 50) -> Any:
    stmt = select(WorkflowNotification).where(WorkflowNotification.org_id == who.org_id)
    if unread:
        stmt = stmt.where(WorkflowNotification.read_at.is_(None))
    rows = session.scalars(stmt.order_by(WorkflowNotification.created_at.desc()).limit(limit))
    return [n for n in rows if not n.roles or who.role.value in n.roles]


@router.post("/notifications/{note_id}/read", response_model=schemas.NotificationRead)
def post_read(note_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    note = get_scoped(session, WorkflowNotification, who.org_id, note_id, "notification")
    note.read_at = note.read_at or utcnow()
    return note


@router.get("/dead-letters", response_model=list[schemas.DeadLetterRead])
def get_dead_letters(session: DbSession, who: Reader, limit: Limit = 100) -> Any:
    stmt = select(WorkflowDeadLetter).where(WorkflowDeadLetter.org_id == who.org_id)
    return list(session.scalars(stmt.order_by(WorkflowDeadLetter.created_at.desc()).limit(limit)))


@router.post("/dead-letters/{letter_id}/replay", response_model=schemas.DeadLetterRead)
def post_replay(letter_id: uuid.UUID, request: Request, session: DbSession, who: Manager) -> Any:
    """Deliver a dead-lettered webhook again (once; a delivered letter cannot be replayed twice)."""
    letter = get_scoped(session, WorkflowDeadLetter, who.org_id, letter_id, "dead letter")
    if letter.replayed_at is not None:
        raise Conflict("this dead letter was already replayed", field="replayed_at")
    sender = request.app.state.webhook_sender
    delivery = sender.send(
        url=letter.url,
        body=letter.body,
        secret=None,
        timeout_s=5.0,
        attempts=3,
        idempotency_key=f"{letter.run_id}:{letter.step}",
    )
    if not delivery.ok:
        letter.attempts += delivery.attempts
        letter.error = delivery.error or letter.error
        raise Conflict(f"replay failed again: {delivery.error}", field="url")
    letter.replayed_at = utcnow()
    return letter


readiness_router = APIRouter(prefix="/v1/readiness", tags=["readiness"])


@readiness_router.get("")
def get_readiness(request: Request, session: DbSession, who: Reader) -> dict[str, Any]:
    """Readiness per pillar with evidence, the trajectory diagnosis and the three next steps with most gain."""
    state = request.app.state
    result = readiness(
        session,
        org_id=who.org_id,
        runtime=state.actions_runtime,
        data_dir=state.settings.data_dir,
        embedder=state.embedder,
    )
    return {
        "overall": result.overall,
        "measured_weight": result.measured_weight,
        "unmeasured": result.unmeasured,
        "trajectory": result.trajectory,
        "trajectory_evidence": result.trajectory_evidence,
        "pillars": [
            {"name": p.name, "weight": WEIGHTS[p.name], "score": p.score, "evidence": p.evidence}
            for p in result.pillars.values()
        ],
        "next_steps": [
            {
                "action": s.action,
                "pillar": s.pillar,
                "pillar_points": s.pillar_points,
                "expected_overall_gain": s.overall_gain,
            }
            for s in result.next_steps
        ],
    }
