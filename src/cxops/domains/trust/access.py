"""Whose trust data a caller may read and change: an agent only that of the customers of their own contacts.

An agent-role key is linked to its directory agent through its subject (`directory.public.linked_agent`, 403 when
it is not). An agent reads a customer's trust ledger, routing advice, consents and memory, and records consent or
memory, only for a customer of an interaction they took part in (primary agent or participant; an open, live
interaction counts); any other customer answers 404, as a customer that exists nowhere. When an agent records, the
source interaction is required (422 on `source_interaction_id`) and must be one they took part in (404 otherwise).
Service keys, supervisors, analysts (read) and admins keep organisation-wide access.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from cxops.core.auth import Principal
from cxops.core.errors import NotFound, ValidationFailed
from cxops.domains.directory.public import own_agent_id
from cxops.domains.interactions.public import took_part
from cxops.domains.trust.service import customer_not_found


def visible_customer(session: Session, who: Principal, customer_id: uuid.UUID) -> None:
    """404 (as for a customer that exists nowhere) when the caller is an agent who took part in no interaction of
    the customer; 403 for an agent key not linked to an agent."""
    own = own_agent_id(session, who)
    if own is not None and not took_part(session, who.org_id, own, customer_id=customer_id):
        raise customer_not_found(customer_id)


def check_source(session: Session, who: Principal, customer_id: uuid.UUID, source: uuid.UUID | None) -> None:
    """For an agent recording consent or memory about a customer: the customer is theirs (else 404), and the source
    interaction is given (else 422) and is one they took part in (else 404, as an interaction that exists nowhere;
    whether it is a contact of this customer is checked afterwards, as for every caller)."""
    own = own_agent_id(session, who)
    if own is None:
        return
    if not took_part(session, who.org_id, own, customer_id=customer_id):
        raise customer_not_found(customer_id)
    if source is None:
        raise ValidationFailed(
            "source_interaction_id is required: an agent records consent or memory from one of their own "
            "interactions with the customer",
            field="source_interaction_id",
        )
    if not took_part(session, who.org_id, own, interaction_id=source):
        raise NotFound(f"source interaction {source} not found", field="source_interaction_id")
