"""Which directory agent an API key acts as.

An API key's `subject` links it to an agent of the directory by the agent's `code` (the name sources and the
actions domain use). Agent keys (human agents) and service keys (AI agents) with a subject must name an existing
agent; for admin, supervisor and analyst keys the subject is only a label (how the caller is named in audit
records). An agent-role caller reads only their own data (QA coaching and evaluations, their contacts'
transcripts, their own action proposals), so those reads need the key to be linked: `linked_agent` is that rule.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.core.auth import Principal, Role
from cxops.core.errors import Forbidden, ValidationFailed
from cxops.domains.directory.models import Agent

#: Roles whose key subject names an agent of the directory (checked when the key is created).
AGENT_SUBJECT_ROLES = frozenset({Role.AGENT, Role.SERVICE})


def agent_by_code(session: Session, org_id: uuid.UUID, code: str) -> Agent | None:
    """The organisation's agent with this code, if any."""
    return session.scalars(select(Agent).where(Agent.org_id == org_id, Agent.code == code)).first()


def check_key_subject(session: Session, *, org_id: uuid.UUID, role: Role, subject: str | None) -> str | None:
    """The subject to store on a new key (trimmed, None when blank); for agent and service keys it must be the code
    of an agent of the organisation's directory, else 422 on `subject` naming the unknown value. An agent key needs
    one: without it the key read no agent's own coaching, evaluations or proposals (403 everywhere), which its
    creator learnt only from its user."""
    if subject is None or not subject.strip():
        if role == Role.AGENT:
            raise ValidationFailed(
                "an agent key acts as one agent of the directory: give that agent's code as its subject "
                "(see GET /v1/agents)",
                field="subject",
            )
        return None
    subject = subject.strip()
    if role in AGENT_SUBJECT_ROLES and agent_by_code(session, org_id, subject) is None:
        raise ValidationFailed(
            f"subject {subject!r} names no agent of the directory: a {role.value} key's subject is the code of the "
            "agent it acts as (see GET /v1/agents)",
            field="subject",
        )
    return subject


def own_agent_id(session: Session, who: Principal) -> uuid.UUID | None:
    """The directory agent an agent-role caller is limited to (403 when its key is not linked to one); None for
    every other role, which sees the organisation's data."""
    return linked_agent(session, who).id if who.role == Role.AGENT else None


def linked_agent(session: Session, who: Principal) -> Agent:
    """The directory agent a key acts as (its subject is the agent's code); 403 with the reason when the key is not
    linked to an agent or its agent is no longer in the directory."""
    if not who.subject:
        raise Forbidden(
            f"this {who.role.value} key is not linked to an agent, so it cannot read an agent's own data: an admin "
            "must create a key whose subject is the agent's code (POST /v1/keys or 'cxops keys create --subject')"
        )
    agent = agent_by_code(session, who.org_id, who.subject)
    if agent is None:
        raise Forbidden(f"this key is linked to agent {who.subject!r}, which is not in the directory")
    return agent
