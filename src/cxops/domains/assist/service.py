"""Database steps of real-time assist (run in worker threads, never on the event loop)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.assist_events import AssistArticlesShown
from cxops.contracts.interactions import CustomerRef, InteractionIn, ParticipantIn
from cxops.core.auth import Principal, Role
from cxops.core.clock import utcnow
from cxops.core.db import unit_of_work
from cxops.core.errors import ValidationFailed
from cxops.core.events import emit
from cxops.domains.assist.compute.compliance import ComplianceState
from cxops.domains.assist.compute.frames import EndFrame, StartFrame
from cxops.domains.assist.engine import AssistEngine
from cxops.domains.assist.live import LiveCall, with_stored
from cxops.domains.assist.models import AssistLiveArticle
from cxops.domains.directory.public import Agent, Customer, Queue, Team, linked_agent
from cxops.domains.interactions.public import Interaction, LiveInteraction, attach_live, end_live, open_live
from cxops.domains.knowledge.public import Access


def _access(session: Session, principal: Principal, customer_id: uuid.UUID | None) -> Access:
    """What the connected desktop may see: its role, narrowed to the customer's region and tier."""
    customer = session.get(Customer, customer_id) if customer_id else None
    return Access(
        role=principal.role.value,
        region=customer.region if customer else None,
        tier=customer.tier if customer else None,
        see_all=principal.role == Role.ADMIN,
    )


def _call(session: Session, engine: AssistEngine, principal: Principal, info: LiveInteraction) -> LiveCall:
    row = session.get(Interaction, info.id)
    agent = session.get(Agent, info.agent_id) if info.agent_id else None
    queue = session.get(Queue, row.queue_id) if row is not None and row.queue_id else None
    call = LiveCall(
        info=info,
        external_id=row.external_id if row is not None else str(info.id),
        source=row.source if row is not None else "live",
        agent_code=agent.code if agent else None,
        queue_code=queue.code if queue else None,
        access=_access(session, principal, info.customer_id),
        compliance=ComplianceState(channel=info.channel),
    )
    call.seqs = set(info.seqs)
    call.last_seq = max(info.seqs) if info.seqs else -1
    call.restore(*stored_articles(session, info.id))
    return call


def stored_articles(session: Session, interaction_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """The articles stored for an open interaction: (shown, used), each in the order the call recorded them."""
    rows = session.execute(
        select(AssistLiveArticle.kind, AssistLiveArticle.article_id)
        .where(AssistLiveArticle.interaction_id == interaction_id)
        .order_by(AssistLiveArticle.position, AssistLiveArticle.recorded_at, AssistLiveArticle.article_id)
    ).all()
    return [str(a) for kind, a in rows if kind == "shown"], [str(a) for kind, a in rows if kind == "used"]


def open_call(engine: AssistEngine, principal: Principal, ref: str, frame: StartFrame) -> LiveCall:
    """Create (or resume) the open interaction `ref` of the start frame; Conflict if it has ended.

    On an agent's desk (an agent key linked to its directory agent) the call is the agent's own: a start frame
    naming no agent gets the key's, one naming another agent is refused. Such a key started calls as any code it
    named and created that agent in the directory (the console's demo replay made 'console-agent')."""
    with unit_of_work(engine.factory) as session:
        agent = _desk_agent(session, principal, frame.agent)
        record = InteractionIn(
            source=frame.source,
            external_id=ref,
            channel=frame.channel,
            queue=frame.queue,
            started_at=frame.started_at or utcnow(),
            customer=CustomerRef(**frame.customer.model_dump()) if frame.customer else None,
            participants=[ParticipantIn(agent=agent)] if agent else [],
            language=frame.language,
            attributes={"assist": "live"},
        )
        info = open_live(session, org_id=principal.org_id, record=record)
        return _call(session, engine, principal, info)


def _desk_agent(session: Session, principal: Principal, named: str | None) -> str | None:
    """The agent code a call opened by `principal` is taken by: a linked agent key's own (403 if its agent left
    the directory), else the one the frame names (integrations, supervisors, and agent keys made before keys were
    linked to agents, which docs/security.md asks admins to replace)."""
    if principal.role != Role.AGENT or not principal.subject:
        return named
    own = linked_agent(session, principal).code
    if named is not None and named != own:
        raise ValidationFailed(f"agent: this key is agent {own!r}'s desk; it cannot start a call as {named!r}")
    return own


def attach(engine: AssistEngine, principal: Principal, interaction_id: uuid.UUID) -> LiveCall:
    """The open interaction `interaction_id`; NotFound or Conflict (ended)."""
    with engine.factory() as session:
        info = attach_live(session, org_id=principal.org_id, interaction_id=interaction_id)
        return _call(session, engine, principal, info)


def end_call(engine: AssistEngine, call: LiveCall, frame: EndFrame, articles: AssistArticlesShown | None = None) -> int:
    """Flush the call's turns and articles, then end the interaction; returns its turn count.

    The same transaction publishes interactions.ended and `assist.articles_shown`: `articles` (what the call
    remembers) with the articles stored for it that it does not (another process serving the call stored them
    after this one loaded them), and deletes the stored articles, which the event now carries."""
    engine.writer.flush()
    attributes: dict[str, Any] = {"assist_alerts": len(call.alert_log)}
    if call.intent:
        attributes["assist_intent"] = call.intent
    with unit_of_work(engine.factory) as session:
        row = end_live(
            session, org_id=call.info.org_id, interaction_id=call.id, ended_at=frame.ended_at,
            outcome=frame.outcome, hold_s=frame.hold_s, attributes=attributes,
        )  # fmt: skip
        articles = with_stored(articles, call.id, *stored_articles(session, call.id))
        if articles is not None:
            emit(session, org_id=call.info.org_id, event=articles)
        session.execute(delete(AssistLiveArticle).where(AssistLiveArticle.interaction_id == call.id))
        return int(row.turn_count)


def team_id(factory: sessionmaker[Session], org_id: uuid.UUID, code: str | None) -> uuid.UUID | None:
    """The id of team `code` in the organisation (None when no code is given or it is unknown)."""
    if not code:
        return None
    with factory() as session:
        return session.scalars(select(Team.id).where(Team.org_id == org_id, Team.code == code)).first()
