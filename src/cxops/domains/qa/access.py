"""Whose QA results a caller may read: an agent sees only their own, supervisors, analysts and admins everyone's.

An agent-role key is linked to its directory agent through its subject (`directory.public.linked_agent`, 403 when
it is not). Another agent's evaluation answers 404, as an evaluation that does not exist would; another agent's
coaching is 403 (agents use `GET /v1/qa/coaching/me`). The disputes list gives an agent those on their own
evaluations.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from cxops.core.auth import Principal
from cxops.core.errors import Forbidden, NotFound
from cxops.domains.directory.public import own_agent_id
from cxops.domains.qa.models import QaEvaluation
from cxops.domains.qa.service import get_evaluation


def agent_filter(session: Session, who: Principal, agent_id: uuid.UUID | None) -> uuid.UUID | None:
    """The agent filter a list of evaluations applies: an agent always their own (403 for another's id)."""
    own = own_agent_id(session, who)
    if own is None:
        return agent_id
    if agent_id is not None and agent_id != own:
        raise Forbidden("an agent sees only their own QA results", field="agent_id")
    return own


def coaching_agent(session: Session, who: Principal, agent_id: uuid.UUID) -> uuid.UUID:
    """The agent whose coaching the caller asks for, if they may see it (an agent: only their own, else 403)."""
    own = own_agent_id(session, who)
    if own is not None and agent_id != own:
        raise Forbidden("an agent sees only their own coaching: use GET /v1/qa/coaching/me", field="agent_id")
    return agent_id


def visible_evaluation(session: Session, who: Principal, evaluation_id: uuid.UUID) -> QaEvaluation:
    """An evaluation of the caller's organisation; for an agent only one of their own (404 otherwise)."""
    own = own_agent_id(session, who)
    ev = get_evaluation(session, org_id=who.org_id, evaluation_id=evaluation_id)
    if own is not None and ev.agent_id != own:
        raise NotFound(f"evaluation {evaluation_id} not found")
    return ev
