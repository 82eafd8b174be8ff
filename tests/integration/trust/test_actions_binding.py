"""Trust <-> actions through the composition root: trust state for action policies, audit tombstones on erasure,
and the actions domain's own event payloads feeding the ledger."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.events import ActionDecided, ActionExecuted
from cxops.contracts.interactions import InteractionIn
from cxops.core import keys
from cxops.core.db import unit_of_work
from cxops.core.events import Delivered, OutboxDispatcher
from cxops.domains.actions.audit import append, verify
from cxops.domains.actions.models import AuditEntry
from cxops.domains.interactions.ingest import ingest_batch
from cxops.domains.interactions.public import Interaction
from cxops.domains.trust.models import TrustExperience
from cxops.domains.trust.privacy import erase_subject
from cxops.domains.trust.service import on_action_outcome
from cxops.domains.trust.tasks import rebuild
from cxops.entrypoints.http.app import build_subscriptions
from cxops.entrypoints.trust_bindings import TrustStateFromLedger
from tests.api.trust.helpers import record


def _seed(factory: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID]:
    with unit_of_work(factory) as s:
        org = keys.ensure_organisation(s, slug="bind")
        recs = [
            record(customer="b-1", hours_ago=40, handoff=True, outcome="escalated"),
            record(customer="b-1", hours_ago=4, outcome="abandoned", intent="other"),
        ]
        ingest_batch(s, org_id=org.id, items=[(i, InteractionIn.model_validate(r)) for i, r in enumerate(recs)])
        org_id = org.id
    with factory() as s:
        customer_id = s.scalars(select(Interaction.customer_id).where(Interaction.org_id == org_id)).first()
    assert customer_id is not None
    return org_id, customer_id


def test_trust_state_for_actions_resolves_ids_and_external_refs(session_factory: sessionmaker[Session]) -> None:
    org_id, customer_id = _seed(session_factory)
    rebuild(session_factory)
    provider = TrustStateFromLedger(session_factory)
    for ref in ("b-1", str(customer_id)):
        state = provider.trust_state(org_id=org_id, customer_ref=ref)
        assert state.poor_experience_count == 2 and state.automation_averse is True
    assert provider.trust_state(org_id=org_id, customer_ref="nobody").automation_averse is False
    assert provider.trust_state(org_id=org_id, customer_ref=None).poor_experience_count == 0


def test_actions_event_payloads_feed_the_ledger(session_factory: sessionmaker[Session]) -> None:
    org_id, customer_id = _seed(session_factory)
    decided = ActionDecided(
        proposal_id=str(uuid.uuid4()),
        action="refund",
        decision="deny",
        rule_ids=["r1"],
        customer_ref="b-1",
        actor_ref="bot",
    )
    executed = ActionExecuted(
        proposal_id=str(uuid.uuid4()), action="refund", status="compensated", customer_ref="b-1", actor_ref="bot"
    )
    allowed = ActionDecided(
        proposal_id=str(uuid.uuid4()),
        action="refund",
        decision="allow",
        rule_ids=[],
        customer_ref="b-1",
        actor_ref="bot",
    )
    for event in (decided, executed, allowed, decided):
        with unit_of_work(session_factory) as s:
            on_action_outcome(s, Delivered(uuid.uuid4(), event.event_type, org_id, event.model_dump(mode="json")))
    with session_factory() as s:
        rows = s.scalars(select(TrustExperience).where(TrustExperience.origin == "action")).all()
    assert sorted(r.kind for r in rows) == ["action_denied", "action_reversed"]
    assert {r.customer_id for r in rows} == {customer_id}


def test_erasure_tombstones_the_audit_chain_which_still_verifies(session_factory: sessionmaker[Session]) -> None:
    org_id, customer_id = _seed(session_factory)
    with unit_of_work(session_factory) as s:
        append(s, org_id=org_id, kind="decided", payload={"customer_ref": "b-1", "note": "refund for a broken kettle"})
        append(s, org_id=org_id, kind="decided", payload={"customer_ref": "someone-else", "note": "kept"})
        erasure = erase_subject(s, org_id=org_id, customer_id=customer_id, requested_by=None)
    OutboxDispatcher(session_factory, build_subscriptions()).run_once()
    with session_factory() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)).all()
        assert [e.tombstoned for e in entries] == [True, False]
        assert "kettle" not in str(entries[0].payload) and str(erasure.id) in entries[0].payload["reason"]
        assert verify(s, org_id=org_id)["ok"] is True
