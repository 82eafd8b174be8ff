"""Binds the trust domain to the actions domain (neither imports the other): the customer's trust state for
action policies, and audit tombstones when a data subject is erased."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from cxops.core.events import Delivered, Subscriptions
from cxops.core.ids import parse_uuids
from cxops.domains.actions.public import TrustState, tombstone_customer
from cxops.domains.knowledge.public import erase_attributions
from cxops.domains.trust.public import trust_state

ERASED_EVENT = "trust.customer_erased"


class TrustStateFromLedger:
    """The actions domain's TrustStateProvider, answered from the trust ledger."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def trust_state(self, *, org_id: uuid.UUID, customer_ref: str | None) -> TrustState:
        """Poor experiences in the policy window and the automation-averse flag of the referenced customer."""
        with self._factory() as session:
            poor, averse = trust_state(session, org_id=org_id, customer_ref=customer_ref)
        return TrustState(poor_experience_count=poor, automation_averse=averse)


class PilotTrustEffects:
    """Pilots' TrustEffects from the trust ledger: the share of an arm's customers now automation-averse."""

    MAX_CUSTOMERS = 5000

    def averse_share(self, session: Session, *, org_id: uuid.UUID, customer_ids: list[uuid.UUID]) -> float | None:
        if not customer_ids:
            return None
        sample = customer_ids[: self.MAX_CUSTOMERS]
        averse = sum(trust_state(session, org_id=org_id, customer_ref=str(c))[1] for c in sample)
        return round(averse / len(sample), 4)


def on_customer_erased(session: Session, event: Delivered) -> None:
    """Tombstone the audit payloads that mention the erased customer (the chain keeps its digests)."""
    reason = f"data subject erasure {event.payload.get('erasure_id', '')}"
    for ref in event.payload.get("customer_refs", []):
        if isinstance(ref, str) and ref:
            tombstone_customer(session, org_id=event.org_id, customer_ref=ref, reason=reason)


def on_customer_erased_attributions(session: Session, event: Delivered) -> None:
    """Delete the knowledge attributions of the erased customer's interactions."""
    ids = parse_uuids(event.payload.get("interaction_ids", []))
    erase_attributions(session, org_id=event.org_id, interaction_ids=ids)


def subscribe(subs: Subscriptions) -> Subscriptions:
    """Register the erasure consumers of other domains (audit tombstones, knowledge attributions)."""
    subs.subscribe(ERASED_EVENT, "actions.audit_erasure", on_customer_erased)
    subs.subscribe(ERASED_EVENT, "knowledge.attribution_erasure", on_customer_erased_attributions)
    return subs
