"""The demo seeds of governed actions and workflows, on a small loaded demo: real outcomes through the domains,
and a second call adds nothing."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys
from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.core.events import OutboxDispatcher, Subscriptions, to_delivered
from cxops.core.models import OutboxEvent
from cxops.domains.actions.models import ActionBreaker, ActionProposal, AuditEntry
from cxops.domains.actions.public import verify
from cxops.domains.directory.public import Customer, agent_by_code
from cxops.domains.interactions.public import Interaction
from cxops.domains.workflows import service as workflows_service
from cxops.domains.workflows.models import WorkflowNotification, WorkflowRun, WorkflowTask
from cxops.domains.workflows.public import subscribe
from cxops.entrypoints.demo import load_demo
from cxops.entrypoints.demo_seeds import actions as actions_seed
from cxops.entrypoints.demo_seeds import workflows as workflows_seed
from cxops.integrations.demo import DemoConfig, Generator
from cxops.integrations.webhooks import HttpWebhookSender

END = date(2026, 2, 10)
CONFIG = DemoConfig(seed=4, days=14, volume=60, end=END)
NOW = datetime.combine(END, time(23, 59), UTC)


def _demo(factory: sessionmaker[Session]) -> uuid.UUID:
    with unit_of_work(factory) as s:
        org_id = keys.ensure_organisation(s, slug="default").id
    gen = Generator(CONFIG)
    load_demo(factory, org_id=org_id, spec=gen.directory(), days=gen.days())
    return org_id


def _proposals(factory: sessionmaker[Session], org_id: uuid.UUID) -> dict[str, ActionProposal]:
    with unit_of_work(factory) as s:
        rows = s.scalars(select(ActionProposal).where(ActionProposal.org_id == org_id)).all()
        s.expunge_all()
    return {r.idempotency_key.removeprefix(actions_seed.KEY_PREFIX): r for r in rows}


def test_actions_seed(session_factory: sessionmaker[Session], settings: Settings) -> None:
    org_id = _demo(session_factory)
    summary = actions_seed.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    assert summary.startswith("Actions: 38 proposals (20 executed, 12 denied, 3 awaiting approval, 1 rejected")
    assert summary.endswith("audit chain verified (102 entries)")
    rows = _proposals(session_factory, org_id)
    assert Counter(r.status for r in rows.values()) == {
        "executed": 20,
        "denied": 12,
        "pending_approval": 3,
        "rejected": 1,
        "reversed": 1,
        "compensated": 1,
    }
    # denials carry the rule that refused them, with its reason
    denied = {name: [r["rule_id"] for r in row.rules] for name, row in rows.items() if row.status == "denied"}
    assert denied["retail-cancel-other-user"] == ["R2-own-account"]
    assert denied["retail-return-other-card"] == ["R9-refund-method"]
    assert denied["airline-cancel-nonrefundable"] == ["A8-conditions"]
    assert denied["kai-certificate-unasked"] == ["A9-explicit-request"]
    assert all(r["reason"] for row in rows.values() for r in row.rules)
    # large cancellations after a busy hour went to a supervisor (amount velocity); one approved, one rejected
    large = [rows[f"retail-large-cancel-{i}"] for i in range(1, 6)]
    assert all("G3-amount-velocity" in {r["rule_id"] for r in row.rules} for row in large)
    assert [row.status for row in large] == ["executed", "rejected", "pending_approval", "pending_approval",
                                             "pending_approval"]  # fmt: skip
    assert large[0].review_reason and large[1].review_reason
    assert rows["retail-swap-then-repay"].error and "compensated" in rows["retail-swap-then-repay"].error
    assert rows["retail-order-address-reversed"].status == "reversed"
    # AI agents and human agents of the directory, for demo customers of the interactions
    actors = {row.actor_ref: row.actor_role for row in rows.values()}
    assert {actors["ai-aria"], actors["ai-atlas"], actors["ai-kai"]} == {"service"}
    assert sum(role == "agent" for role in actors.values()) >= 5
    with unit_of_work(session_factory) as s:
        customers = {str(c) for c in s.scalars(select(Customer.id).where(Customer.org_id == org_id))}
        interactions = {str(i) for i in s.scalars(select(Interaction.id).where(Interaction.org_id == org_id))}
        assert verify(s, org_id=org_id)["ok"]
        breakers = s.scalars(select(ActionBreaker).where(ActionBreaker.is_open.is_(True))).all()
        assert [(b.scope, b.key, b.automatic) for b in breakers] == [("agent", "ai-kai", True)]
        audit_rows = s.scalar(select(func.count()).select_from(AuditEntry))
    assert all(row.customer_ref in customers for row in rows.values())
    assert all(row.context["interaction_id"] in interactions for row in rows.values())
    # Every agent and AI agent key the seed made is linked to an agent of the directory, so an agent signing in with
    # it reads their own proposals, coaching and evaluations (docs/security.md).
    with unit_of_work(session_factory) as s:
        seeded = [k for k in keys.list_keys(s, org_id=org_id) if k.role in ("agent", "service")]
        assert seeded and all(agent_by_code(s, org_id, k.subject or "") is not None for k in seeded)

    again = actions_seed.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    assert again.startswith("Actions: already seeded (38 proposals") and "nothing added" in again
    assert {k: r.status for k, r in _proposals(session_factory, org_id).items()} == {
        k: r.status for k, r in rows.items()
    }
    with unit_of_work(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows


def _counts(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with unit_of_work(factory) as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(m)) or 0
            for m in (WorkflowRun, WorkflowTask, WorkflowNotification)
        )


def test_workflows_seed(session_factory: sessionmaker[Session], settings: Settings) -> None:
    org_id = _demo(session_factory)
    actions_seed.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    summary = workflows_seed.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    assert summary.startswith("Workflows: 4 rules saved;")
    with unit_of_work(session_factory) as s:
        rules = {r.name: r for r in workflows_service.current_rules(s, org_id)}
        assert len(rules) == 4 and all(r.enabled and r.version == 1 for r in rules.values())
        runs = s.scalars(select(WorkflowRun).where(WorkflowRun.org_id == org_id)).all()
        by_rule = Counter(r.rule_id for r in runs)
        # the breaker's run waits for its approval: approving it closes the breaker
        assert Counter(r.status for r in runs) == {"succeeded": len(runs) - 1, "awaiting_approval": 1}
        # every refused AI proposal got a review task; the tripped breaker an approval request and a notification
        denied_ai = s.scalar(
            select(func.count())
            .select_from(ActionProposal)
            .where(ActionProposal.status == "denied", ActionProposal.actor_role == "service")
        )
        assert by_rule[rules["Review AI actions refused by policy"].id] == denied_ai == 9
        assert by_rule[rules["Approve closing a tripped breaker"].id] == 1
        tasks = s.scalars(select(WorkflowTask)).all()
        assert Counter(t.kind for t in tasks) == {"task": len(runs) - 1, "approval": 1}
        approval = next(t for t in tasks if t.kind == "approval")
        assert approval.status == "pending" and "ai-kai" in approval.title
        assert s.scalar(select(func.count()).select_from(WorkflowNotification)) == 1
        # call-back runs are for very unhappy voice calls of the window, each tagged
        callbacks = [r for r in runs if r.rule_id == rules["Call back very unhappy callers"].id]
        for run in callbacks:
            row = s.get(Interaction, uuid.UUID(run.subject))
            assert row is not None and row.channel == "voice" and (row.sentiment_end or 0) <= -4.5
            assert "supervisor-callback" in (row.tags or [])
    counts = _counts(session_factory)
    assert counts[0] == len(runs) >= 10

    # The rules act on facts from when they were saved: the backlog the dispatcher delivers afterwards (the demo's
    # history, and the events the backfill already handled) starts no run, though older calls match the rule.
    with unit_of_work(session_factory) as s:
        everything = workflows_service.dry_run(s, org_id=org_id, source=workflows_seed.RULES[0], since=None, limit=1000)
        assert everything["would_run"] > len(callbacks)
        oldest = s.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "interactions.ended").order_by(OutboxEvent.id).limit(1)
        ).one()
        assert workflows_service.on_event(s, to_delivered(oldest)) == 0
        s.rollback()
    dispatcher = OutboxDispatcher(session_factory, subscribe(Subscriptions(), HttpWebhookSender()))
    while dispatcher.run_once(1000):
        pass
    assert _counts(session_factory) == counts

    again = workflows_seed.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    assert again.startswith("Workflows: already seeded (4 rules); nothing added")
    assert _counts(session_factory) == counts

    # A supervisor approves closing the tripped breaker (Automate -> Tasks): the run goes on and closes it, the
    # approver's reason in the audit log.
    with unit_of_work(session_factory) as s:
        approval = s.scalars(select(WorkflowTask).where(WorkflowTask.kind == "approval")).one()
        workflows_service.decide_task(s, approval, decision="approve", reason="the refunds were legitimate", who="sup")
    while dispatcher.run_once(1000):
        pass
    with unit_of_work(session_factory) as s:
        breaker = s.scalars(select(ActionBreaker).where(ActionBreaker.key == "ai-kai")).one()
        assert not breaker.is_open and breaker.changed_by == "sup"
        assert breaker.reason is not None and "the refunds were legitimate" in breaker.reason
        run = s.get(WorkflowRun, approval.run_id)
        assert run is not None and run.status == "succeeded"
        assert [(x["kind"], x["status"]) for x in run.steps][-1] == ("close_breaker", "succeeded")
        closed = s.scalars(select(AuditEntry).where(AuditEntry.kind == "breaker_closed")).all()
        assert [e.payload["by"] for e in closed] == ["sup"]
        assert verify(s, org_id=org_id)["ok"]
