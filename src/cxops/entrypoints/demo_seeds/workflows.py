"""Demo seed: workflow rules saved through the workflows service, then backfilled over recent facts.

Four rules, validated and versioned as `POST /v1/workflows/rules` saves them (a rule that would loop is refused):

- a supervisor call-back task (and a tag on the interaction) when a voice call ends escalated or transferred with
  the customer very unhappy;
- a review task for the AI operations team when policy refuses an AI agent's action;
- an approval request (and a console notification) when a circuit breaker trips: approving it closes the breaker
  (the run waits for the decision; the approver's reason is the closing's, in the audit log), rejecting it leaves
  the breaker open;
- a task for the knowledge team when a sync finds conflicting articles (the knowledge seed's, when it ran first).

Saved rules act only on facts from when they were saved, so the demo's history would start none. The seed asks for
the past on purpose, as an operator would: a backfill of each rule since `WINDOW_DAYS` days before `now` (the
interactions that ended in the window, and the action events the actions seed emitted when it ran first), then
the workflows domain's own runner consumer (`workflows.runner`, the one the dispatcher or `cxops worker` runs) on
the runs they requested, each applied once (`apply_once`), so the dispatcher skips them later. When the dispatcher
delivers the backlog of older events afterwards, the rules start no run for them: their facts predate the rules.

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
from cxops.core.events import Subscriptions, apply_once, to_delivered
from cxops.core.models import OutboxEvent
from cxops.domains.workflows import service as workflows_service
from cxops.domains.workflows.models import WorkflowRule, WorkflowRun, WorkflowTask
from cxops.domains.workflows.public import parse_rule, subscribe
from cxops.integrations.webhooks import HttpWebhookSender

WINDOW_DAYS = 2
#: Each backfill looks at most at this many of the rule's events, newest first (the 60-day demo's
#: `interactions.ended` batches of ≤ 500 interactions fit; out-of-window interactions are filtered in SQL).
MAX_EVENTS = 2000
RUNNER = "workflows.runner"

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
description: A circuit breaker that opened blocks an action type or an AI agent; approving the request closes it,
  rejecting it (or letting it expire) leaves it open.
trigger: breaker_tripped
steps:
  - notify:
      level: warning
      roles: [admin, supervisor]
      message: "Circuit breaker opened for {scope} {key}: {reason}"
  - request_approval:
      title: "Close the breaker of {scope} {key}?"
      body: "It opened because: {reason}. Review its recent proposals in the audit log: approving closes the
        breaker, rejecting leaves it open."
      expires_in_h: 72
  - close_breaker: {scope: "{scope}", key: "{key}", reason: "approved in workflow task"}
""",
    """\
name: Settle conflicting knowledge
description: When a sync finds two articles that state different facts, the knowledge team settles which is right
  before agents or AI agents quote the wrong one.
trigger: knowledge_conflict_found
steps:
  - create_task:
      team: knowledge
      priority: high
      title: "Settle conflicting articles: {a_title} ({a_source}) vs {b_title} ({b_source})"
      body: "One says: {a_says} The other says: {b_says} Correct or retire the wrong one, then mark it reviewed."
""",
)


def _save_rules(factory: sessionmaker[Session], org_id: uuid.UUID) -> list[str]:
    """Save the rules that do not exist yet (by name) as the API does; returns the names saved."""
    saved = []
    for source in RULES:
        name = parse_rule(source).name
        with unit_of_work(factory) as session:
            if workflows_service.rule_by_name(session, org_id, name) is not None:
                continue
            workflows_service.save_rule(session, org_id=org_id, source=source)
            saved.append(name)
    return saved


def _backfill(factory: sessionmaker[Session], org_id: uuid.UUID, names: list[str], since: datetime) -> None:
    """Apply each rule to the facts since `since`, as `POST /v1/workflows/rules/{id}/backfill` does."""
    for name in names:
        with unit_of_work(factory) as session:
            rule = workflows_service.rule_by_name(session, org_id, name)
            if rule is not None:
                workflows_service.backfill(session, rule=rule, since=since, max_events=MAX_EVENTS)


def _run_requested(factory: sessionmaker[Session], org_id: uuid.UUID) -> None:
    """Execute the requested runs through the runner consumer, each event once (as the dispatcher does)."""
    handler = subscribe(Subscriptions(), HttpWebhookSender()).by_consumer()[RUNNER]["workflows.run_requested"]
    with unit_of_work(factory) as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(
                OutboxEvent.org_id == org_id,
                OutboxEvent.type == "workflows.run_requested",
                OutboxEvent.published_at.is_(None),
            )
            .order_by(OutboxEvent.id)
        )
        requested = [to_delivered(r) for r in rows]
    for event in requested:
        apply_once(factory, RUNNER, handler, event)


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Save the demo's workflow rules, backfill them over the last days and run them (idempotent); returns a
    one-line summary."""
    del settings  # the webhook sender is the one the API binds; no step of these rules calls out
    saved = _save_rules(factory, org_id)
    if saved:
        _backfill(factory, org_id, saved, now - timedelta(days=WINDOW_DAYS))
        _run_requested(factory, org_id)
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
        f"Workflows: {len(saved)} rules saved; {sum(runs.values())} runs ({done}) from a backfill over the last "
        f"{WINDOW_DAYS} days' facts (the rules act on new ones as they happen); {made}"
    )
