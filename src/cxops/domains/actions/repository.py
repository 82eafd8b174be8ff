"""Queries of the actions domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.models import ApiKey
from cxops.domains.actions.models import ActionBreaker, ActionProposal, AuditEntry

#: Executed or being executed (an 'executing' proposal counts toward velocity limits: it is committed to run).
EXECUTED = ("executing", "executed", "failed", "compensated", "failed_uncompensated", "reversed")
FAILED = ("failed", "compensated", "failed_uncompensated")
REVERSED = ("reversed", "compensated")


PENDING = "pending_approval"
EXPIRED = "expired"


def overdue(now: datetime) -> ColumnElement[bool]:
    """Awaiting approval past its expiry: expired, whether or not the sweep has marked it yet."""
    return and_(
        ActionProposal.status == PENDING, ActionProposal.expires_at.is_not(None), ActionProposal.expires_at < now
    )


def overdue_approvals(session: Session, *, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(id, org_id) of proposals of every organisation awaiting approval past their expiry, oldest expiry first."""
    stmt = (
        select(ActionProposal.id, ActionProposal.org_id)
        .where(overdue(now))
        .order_by(ActionProposal.expires_at, ActionProposal.id)
        .limit(limit)
    )
    return [(r.id, r.org_id) for r in session.execute(stmt)]


#: When a proposal's execution intent was committed: at its approval, else at its (allowed) proposal.
executing_since = func.coalesce(ActionProposal.reviewed_at, ActionProposal.created_at)


def stuck_executing(session: Session, *, before: datetime, now: datetime, limit: int) -> Sequence[ActionProposal]:
    """Proposals of every organisation still 'executing' whose intent was committed before `before`, oldest first,
    except those whose next recovery attempt is after `now` (backing off after a failed one)."""
    due = or_(ActionProposal.recovery_next_at.is_(None), ActionProposal.recovery_next_at <= now)
    stmt = (
        select(ActionProposal)
        .where(ActionProposal.status == "executing", executing_since < before, due)
        .order_by(executing_since, ActionProposal.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def by_key(session: Session, org_id: uuid.UUID, key: str) -> ActionProposal | None:
    return session.scalars(
        select(ActionProposal).where(ActionProposal.org_id == org_id, ActionProposal.idempotency_key == key)
    ).first()


def open_breakers(session: Session, org_id: uuid.UUID, keys: Sequence[tuple[str, str]]) -> list[ActionBreaker]:
    """Open breakers among (scope, key) pairs."""
    rows = session.scalars(
        select(ActionBreaker).where(ActionBreaker.org_id == org_id, ActionBreaker.is_open.is_(True))
    ).all()
    wanted = set(keys)
    return [r for r in rows if (r.scope, r.key) in wanted]


def breaker(session: Session, org_id: uuid.UUID, scope: str, key: str) -> ActionBreaker | None:
    return session.scalars(
        select(ActionBreaker).where(
            ActionBreaker.org_id == org_id, ActionBreaker.scope == scope, ActionBreaker.key == key
        )
    ).first()


def key_names(session: Session, org_id: uuid.UUID, key_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of the organisation's API keys among `key_ids`."""
    if not key_ids:
        return {}
    rows = session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.org_id == org_id, ApiKey.id.in_(key_ids)))
    return {r.id: r.name for r in rows}


def list_breakers(session: Session, org_id: uuid.UUID) -> Sequence[ActionBreaker]:
    return session.scalars(
        select(ActionBreaker).where(ActionBreaker.org_id == org_id).order_by(ActionBreaker.changed_at.desc())
    ).all()


def count_since(
    session: Session,
    org_id: uuid.UUID,
    since: datetime,
    *,
    customer_ref: str | None = None,
    actor_ref: str | None = None,
) -> int:
    """Executed proposals since `since` for a customer or an actor."""
    stmt = (
        select(func.count())
        .select_from(ActionProposal)
        .where(ActionProposal.org_id == org_id, ActionProposal.created_at >= since, ActionProposal.status.in_(EXECUTED))
    )
    if customer_ref is not None:
        stmt = stmt.where(ActionProposal.customer_ref == customer_ref)
    if actor_ref is not None:
        stmt = stmt.where(ActionProposal.actor_ref == actor_ref)
    return int(session.scalar(stmt) or 0)


def amount_since(session: Session, org_id: uuid.UUID, since: datetime) -> float:
    stmt = select(func.coalesce(func.sum(ActionProposal.amount), 0.0)).where(
        ActionProposal.org_id == org_id, ActionProposal.created_at >= since, ActionProposal.status.in_(EXECUTED)
    )
    return float(session.scalar(stmt) or 0.0)


def window_stats(
    session: Session, org_id: uuid.UUID, since: datetime, *, action: str | None = None, actor_ref: str | None = None
) -> dict[str, int]:
    """Decided, denied, executed, failed and reversed proposals in the window."""
    stmt = select(ActionProposal.decision, ActionProposal.status).where(
        ActionProposal.org_id == org_id, ActionProposal.created_at >= since
    )
    if action is not None:
        stmt = stmt.where(ActionProposal.action == action)
    if actor_ref is not None:
        stmt = stmt.where(ActionProposal.actor_ref == actor_ref)
    rows = session.execute(stmt).all()
    return {
        "decided": len(rows),
        "denied": sum(1 for d, _ in rows if d == "deny"),
        "executed": sum(1 for _, s in rows if s in EXECUTED),
        "failed": sum(1 for _, s in rows if s in FAILED),
        "reversed": sum(1 for _, s in rows if s in REVERSED),
    }


def list_proposals(
    session: Session,
    org_id: uuid.UUID,
    *,
    status: str | None,
    limit: int,
    offset: int,
    now: datetime | None = None,
    actor_ref: str | None = None,
) -> Sequence[ActionProposal]:
    """Proposals by their effective status at `now`: one awaiting approval past its expiry is 'expired' (not
    'pending_approval') even before the sweep marks it. With `actor_ref`, only that actor's proposals."""
    now = now or utcnow()
    stmt = select(ActionProposal).where(ActionProposal.org_id == org_id)
    if actor_ref is not None:
        stmt = stmt.where(ActionProposal.actor_ref == actor_ref)
    if status == PENDING:
        live = or_(ActionProposal.expires_at.is_(None), ActionProposal.expires_at >= now)
        stmt = stmt.where(ActionProposal.status == PENDING, live)
    elif status == EXPIRED:
        stmt = stmt.where(or_(ActionProposal.status == EXPIRED, overdue(now)))
    elif status:
        stmt = stmt.where(ActionProposal.status == status)
    return session.scalars(stmt.order_by(ActionProposal.created_at.desc()).limit(limit).offset(offset)).all()


def list_audit(
    session: Session, org_id: uuid.UUID, *, limit: int, offset: int, proposal_id: uuid.UUID | None = None
) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if proposal_id is not None:
        stmt = stmt.where(AuditEntry.proposal_id == proposal_id)
    return session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)).all()
