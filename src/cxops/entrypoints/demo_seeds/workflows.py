"""Demo seed: workflow rules saved through the workflows service, then run over recent events by its consumers.

Three rules, validated and versioned as `POST /v1/workflows/rules` saves them (a rule that would loop is refused):

- a supervisor call-back task (and a tag on the interaction) when a voice call ends escalated or transferred with
  the customer very unhappy;
- a review task for the AI operations team when policy refuses an AI agent's action;
- an approval request (and a console notification) before a tripped circuit breaker is closed.

They then run through the workflows domain's own event consumers, the ones the dispatcher (or `cxops worker`)
runs: `workflows.trigger` on the `interactions.ended` events of the last `WINDOW_DAYS` days of interactions and on
the pending `actions.decided` / `actions.breaker_tripped` events (the actions seed's, when it ran first), then
`workflows.runner` on the runs they requested. Each event is applied once (`apply_once` with the consumer's name),
so the dispatcher skips them later and applies the rules to the older events of the demo's backlog itself.

Idempotent by rule name: when every rule already exists nothing is saved or run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.core.events import Delivered, Handler, Subscriptions, apply_once, to_delivered
from cxops.core.models import OutboxEvent
from cxops.domains.interactions.public import Interaction
from cxops.domains.workflows import service as workflows_service
from cxops.domains.workflows.models import WorkflowRule, WorkflowRun, WorkflowTask
from cxops.domains.workflows.public import parse_rule, subscribe
from cxops.integrations.webhooks import HttpWebhookSender

WINDOW_DAYS = 2
#: At most this many `interactions.ended` batches (≤ 500 interactions each) are replayed: they bound the cost.
MAX_INTERACTION_EVENTS = 8
#: At most this many of the newest pending action events are replayed.
MAX_ACTION_EVENTS = 500
TRIGGER, RUNNER = "workflows.trigger", "workflows.runner"

RULES = (
    """\
name: Call back very unhappy callers
description: A voice call that ended escalated or transferred with the customer very unhappy gets a supervisor
  call-back within one working day.
trigger: interaction_ended
conditions:
  - {field: channel, op: eq, value: voice}
  - {field: sentiment_end, op: le, value: -4.5}
  - {field: outcome, op: in, value: [escalated, transferred]}
steps:
  - create_task:
      team: supervisors
      priority: high
      title: "Call back: {intent} call ended {outcome}, customer very unhappy"
      body: "Interaction {interaction_id} (voice, started {started_at}) ended {outcome} with sentiment
        {sentiment_end}. Listen to the call and call the customer back within one working day."
  - tag: {tags: [supervisor-callback]}
""",
    """\
name: Review AI actions refused by policy
description: When policy refuses an AI agent's action, the AI operations team reviews what the agent tried.
trigger: action_denied
conditions:
  - {field: decision, op: eq, value: deny}
  - {field: actor_kind, op: eq, value: ai}
steps:
  - create_task:
      team: ai-operations
      title: "Review {actor_ref}: {action} refused by policy"
      body: "Proposal {proposal_id} by {actor_ref} was denied by rules {rule_ids}. Check the conversation and the
        agent's instructions."
""",
    """\
name: Approve closing a tripped breaker
description: A circuit breaker that opened blocks an action type or an AI agent; closing it needs an approval.
trigger: breaker_tripped
steps:
  - notify:
      level: warning
      roles: [admin, supervisor]
      message: "Circuit breaker opened for {scope} {key}: {reason}"
  - request_approval:
      title: "Close the breaker of {scope} {key}?"
      body: "It opened because: {reason}. Review its recent proposals in the audit log before closing it."
      expires_in_h: 72
""",
)


def _save_rules(factory: sessionmaker[Session], org_id: uuid.UUID) -> list[str]:
    """Save the rules that do not exist yet (by name) as the API does; returns the names saved."""
    saved = []
    for source in RULES:
        name = parse_rule(source).name
        with unit_of_work(factory) as session:
            if any(r.name == name for r in workflows_service.current_rules(session, org_id)):
                continue
            workflows_service.save_rule(session, org_id=org_id, source=source)
            saved.append(name)
    return saved


def _recent_interaction_events(session: Session, org_id: uuid.UUID, now: datetime) -> list[Delivered]:
    """The `interactions.ended` events announcing interactions of the window, newest batches first (bounded)."""
    since = now - timedelta(days=WINDOW_DAYS)
    recent = {
        str(i)
        for i in session.scalars(
            select(Interaction.id).where(
                Interaction.org_id == org_id, Interaction.started_at >= since, Interaction.started_at <= now
            )
        )
    }
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.org_id == org_id, OutboxEvent.type == "interactions.ended")
        .order_by(OutboxEvent.id.desc())
    )
    out = []
    for row in events:
        if recent.intersection(row.payload.get("interaction_ids", [])):
            out.append(to_delivered(row))
            if len(out) >= MAX_INTERACTION_EVENTS:
                break
    return out


def _pending(session: Session, org_id: uuid.UUID, types: list[str], limit: int) -> list[Delivered]:
    rows = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.org_id == org_id, OutboxEvent.type.in_(types), OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id.desc())
        .limit(limit)
    )
    return sorted((to_delivered(r) for r in rows), key=lambda e: e.id)


def _apply(factory: sessionmaker[Session], consumer: str, handlers: dict[str, Handler], events: list[Delivered]) -> int:
    """Apply one consumer to each event once (as the dispatcher does); returns how many were new to it."""
    applied = 0
    for event in events:
        handler = handlers.get(event.type)
        if handler is not None and apply_once(factory, consumer, handler, event):
            applied += 1
    return applied


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Save the demo's workflow rules and run them over recent events (idempotent); returns a one-line summary."""
    del settings  # the webhook sender is the one the API binds; no step of these rules calls out
    saved = _save_rules(factory, org_id)
    if saved:
        consumers = subscribe(Subscriptions(), HttpWebhookSender()).by_consumer()
        trigger_types = [t for t in consumers[TRIGGER] if not t.startswith("interactions.")]
        with unit_of_work(factory) as session:
            events = _recent_interaction_events(session, org_id, now)
            events += _pending(session, org_id, trigger_types, MAX_ACTION_EVENTS)
        _apply(factory, TRIGGER, consumers[TRIGGER], sorted(events, key=lambda e: e.id))
        with unit_of_work(factory) as session:
            requested = _pending(session, org_id, ["workflows.run_requested"], 100_000)
        _apply(factory, RUNNER, consumers[RUNNER], requested)
    return _summary(factory, org_id, saved)


def _by(session: Session, column: Any, *where: Any) -> Counter[str]:
    """Row counts by `column` under `where`."""
    return Counter(
        {str(k): int(n) for k, n in session.execute(select(column, func.count()).where(*where).group_by(column))}
    )


def _summary(factory: sessionmaker[Session], org_id: uuid.UUID, saved: list[str]) -> str:
    names = [parse_rule(s).name for s in RULES]
    with unit_of_work(factory) as session:
        rules = select(WorkflowRule.id).where(WorkflowRule.org_id == org_id, WorkflowRule.name.in_(names))
        runs = _by(session, WorkflowRun.status, WorkflowRun.org_id == org_id, WorkflowRun.rule_id.in_(rules))
        run_ids = select(WorkflowRun.id).where(WorkflowRun.org_id == org_id, WorkflowRun.rule_id.in_(rules))
        tasks = _by(session, WorkflowTask.kind, WorkflowTask.org_id == org_id, WorkflowTask.run_id.in_(run_ids))
    done = ", ".join(f"{n} {s}" for s, n in sorted(runs.items())) or "none yet"
    made = f"{tasks.get('task', 0)} tasks and {tasks.get('approval', 0)} approval requests"
    if not saved:
        return (
            f"Workflows: already seeded ({len(names)} rules); nothing added ({sum(runs.values())} runs: {done}; {made})"
        )
    return (
        f"Workflows: {len(saved)} rules saved; {sum(runs.values())} runs ({done}) over the last {WINDOW_DAYS} days' "
        f"interactions and the pending action events; {made}"
    )
