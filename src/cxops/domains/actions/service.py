"""Rules of the actions domain: propose (decide, then execute or queue), approve, reject, reverse, audit."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxops.contracts.events import ActionDecided
from cxops.core.auth import Principal, Role
from cxops.core.clock import utcnow
from cxops.core.db import savepoint
from cxops.core.errors import Conflict, CxopsError
from cxops.core.events import emit
from cxops.core.repository import get_scoped
from cxops.domains.actions import audit, breakers, recovery, repository
from cxops.domains.actions.compute.chain import canonical_json
from cxops.domains.actions.decide import RequestDecision, actor_ref, decide_request
from cxops.domains.actions.errors import ProposalExpired
from cxops.domains.actions.execution import (
    EXECUTING,
    actor_kind_of,
    announce,
    claim,
    execute_durably,
    resume,
    reverse,
    take,
)
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.repository import EXPIRED, PENDING
from cxops.domains.actions.runtime import ActionsRuntime
from cxops.domains.actions.schemas import DryRunRequest, ProposalCreate


def request_digest(req: DryRunRequest) -> str:
    """SHA-256 of the request without its idempotency key (a reused key with another body is a conflict)."""
    body = req.model_dump(mode="json", exclude={"idempotency_key"})
    return hashlib.sha256(canonical_json(body)).hexdigest()


def dry_run(
    session: Session, runtime: ActionsRuntime, *, org_id: uuid.UUID, who: Principal, req: DryRunRequest
) -> dict[str, Any]:
    """Evaluate without executing; the evaluation is audited as a dry run."""
    decision = decide_request(session, runtime, org_id=org_id, who=who, req=req)
    audit.append(
        session,
        org_id=org_id,
        kind="dry_run",
        payload={"actor": actor_ref(who), "request": req.model_dump(mode="json"), **decision.as_dict()},
    )
    return decision.as_dict()


def record_rejected_input(session: Session, *, org_id: uuid.UUID, who: Principal, body: Any, error: CxopsError) -> None:
    """Audit a request refused as bad input (called by the router after rolling back the failed work)."""
    payload = {"actor": actor_ref(who), "request": body, "error": error.to_dict()}
    audit.append(session, org_id=org_id, kind="rejected_input", payload=json.loads(canonical_json(payload)))


def _existing(session: Session, org_id: uuid.UUID, req: ProposalCreate, digest: str) -> ActionProposal | None:
    row = repository.by_key(session, org_id, req.idempotency_key)
    if row is None:
        return None
    if row.request_digest != digest:
        raise Conflict(
            f"idempotency key '{req.idempotency_key}' was already used with a different request",
            field="idempotency_key",
        )
    return row


def _insert(
    session: Session, row: ActionProposal, org_id: uuid.UUID, req: ProposalCreate, digest: str
) -> ActionProposal:
    try:
        with savepoint(session):
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = _existing(session, org_id, req, digest)
        if existing is None:
            raise
        return existing
    return row


def propose(
    session: Session, runtime: ActionsRuntime, *, org_id: uuid.UUID, who: Principal, req: ProposalCreate
) -> tuple[ActionProposal, bool]:
    """Decide and execute (allow), queue (require_approval) or refuse (deny); a retried key returns the first result."""
    digest = request_digest(req)
    existing = _existing(session, org_id, req, digest)
    if existing is not None:
        return _replay(session, runtime, existing), True
    decision = decide_request(session, runtime, org_id=org_id, who=who, req=req)
    row = _new_row(org_id, who, req, digest, decision, runtime)
    stored = _insert(session, row, org_id, req, digest)
    if stored is not row:
        return _replay(session, runtime, stored), True
    audit.append(
        session,
        org_id=org_id,
        kind="proposal",
        proposal_id=row.id,
        payload={"actor": actor_ref(who), "role": who.role.value, "request": req.model_dump(mode="json")},
    )
    audit.append(session, org_id=org_id, kind="decision", proposal_id=row.id, payload=decision.as_dict())
    emit(
        session,
        org_id=org_id,
        event=ActionDecided(
            proposal_id=str(row.id),
            action=row.action,
            decision=decision.outcome,
            rule_ids=[r["rule_id"] for r in decision.rules],
            customer_ref=req.customer_ref,
            actor_ref=row.actor_ref,
            actor_kind=actor_kind_of(row),
        ),
    )
    if decision.outcome == "allow":
        execute_durably(session, runtime, row)
    _after(session, runtime, row)
    return row, False


def _replay(session: Session, runtime: ActionsRuntime, row: ActionProposal) -> ActionProposal:
    """A retried key: the first result, except that an execution interrupted by a crash is resumed (not re-decided)."""
    if row.status == EXECUTING:
        _resume(session, runtime, row)
    return row


def _resume(
    session: Session, runtime: ActionsRuntime, row: ActionProposal, recovery: dict[str, Any] | None = None
) -> bool:
    if not resume(session, runtime, row, recovery=recovery):
        return False
    _after(session, runtime, row)
    return True


def recover(session: Session, runtime: ActionsRuntime, *, row: ActionProposal, lease_s: float) -> bool:
    """Resume an execution a crash left 'executing' past its lease, as a retry would; audited as a recovery.

    False when the proposal is no longer 'executing' (a retry or another sweep finished it meanwhile). Raises when
    it cannot be resumed (`recovery.check_resumable`) or a connector failure leaves a step's outcome unknown; the
    caller rolls back and records the failure with `record_recovery_failure`.
    """
    recovery.check_resumable(session, runtime, row)
    since = row.reviewed_at or row.created_at
    note = {
        "by": "recovery sweep",
        "lease_s": lease_s,
        "executing_since": since.isoformat(),
        "attempt": row.recovery_attempts + 1,
    }
    return _resume(session, runtime, row, recovery=note)


def record_recovery_failure(
    session: Session,
    runtime: ActionsRuntime,
    *,
    row: ActionProposal,
    error: Exception,
    max_attempts: int,
    backoff_s: float,
) -> dict[str, Any] | None:
    """Count a failed recovery attempt: give up (a permanent reason, or the last of `max_attempts`) or schedule the
    next one after the backoff; audited as a 'recovery' entry. None if the proposal is no longer 'executing'.

    Giving up ends the proposal 'failed_uncompensated' with the reason and `needs_review`: the interrupted execution
    may have applied steps at the system of record that nothing undid. Returns the audited outcome.
    """
    if not claim(session, row):
        return None
    attempt = row.recovery_attempts + 1
    permanent = recovery.is_permanent(error)
    cause = recovery.describe(error)
    outcome: dict[str, Any] = {
        "by": "recovery sweep",
        "attempt": attempt,
        "max_attempts": max_attempts,
        "error_type": type(error).__name__,
        "error": cause,
    }
    row.recovery_attempts = attempt
    if permanent or attempt >= max_attempts:
        why = recovery.message_of(error) if permanent else f"{attempt} attempts failed, the last with {cause}"
        row.status, row.executed_at, row.recovery_next_at = recovery.GAVE_UP, utcnow(), None
        reason = (
            f"{why}; the interrupted execution may have applied steps at the system of record that were not "
            "undone: needs human review"
        )
        row.error = f"recovery gave up: {reason}"
        outcome.update(outcome="gave_up", permanent=permanent, status=row.status, reason=reason, needs_review=True)
        audit.append(session, org_id=row.org_id, kind="recovery", proposal_id=row.id, payload=outcome)
        announce(session, row)
        _after(session, runtime, row)
        return outcome
    row.recovery_next_at = utcnow() + timedelta(seconds=recovery.backoff_s(attempt, backoff_s))
    outcome.update(outcome="retry", permanent=False, next_attempt_at=row.recovery_next_at.isoformat())
    audit.append(session, org_id=row.org_id, kind="recovery", proposal_id=row.id, payload=outcome)
    return outcome


def _new_row(
    org_id: uuid.UUID,
    who: Principal,
    req: ProposalCreate,
    digest: str,
    decision: RequestDecision,
    runtime: ActionsRuntime,
) -> ActionProposal:
    status = {"allow": "approved", "require_approval": "pending_approval", "deny": "denied"}[decision.outcome]
    expires = utcnow() + timedelta(hours=runtime.approval_ttl_hours) if status == "pending_approval" else None
    return ActionProposal(
        org_id=org_id,
        idempotency_key=req.idempotency_key,
        request_digest=digest,
        action=decision.steps[0].action
        if len(decision.steps) == 1
        else "+".join(s.action for s in decision.steps)[:100],
        steps=[{"action": s.action, "params": s.params} for s in decision.steps],
        context=req.context.model_dump(mode="json"),
        customer_ref=req.customer_ref,
        actor_key_id=who.key_id,
        actor_role=who.role.value,
        actor_ref=actor_ref(who),
        decision=decision.outcome,
        rules=decision.rules,
        pack_version=decision.pack_version,
        status=status,
        amount=decision.amount,
        expires_at=expires,
    )


def _after(session: Session, runtime: ActionsRuntime, row: ActionProposal) -> None:
    for name in {s["action"] for s in row.steps}:
        breakers.check_and_trip(
            session,
            org_id=row.org_id,
            action=name,
            actor_ref=row.actor_ref,
            actor_is_ai=row.actor_role == Role.SERVICE.value,
            cfg=runtime.breakers,
        )


def effective_status(row: ActionProposal, now: datetime | None = None) -> str:
    """The status reads show: a proposal awaiting approval past its expiry is 'expired', even before the sweep (or
    a review) marks it so (`repository.list_proposals` filters the same way)."""
    if row.status == PENDING and row.expires_at is not None and row.expires_at < (now or utcnow()):
        return EXPIRED
    return row.status


def _mark_expired(session: Session, row: ActionProposal, by: str) -> None:
    row.status = EXPIRED
    expired_at = row.expires_at.isoformat() if row.expires_at else None
    audit.append(
        session, org_id=row.org_id, kind="expired", proposal_id=row.id, payload={"by": by, "expired_at": expired_at}
    )


def expire(session: Session, *, proposal_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Mark a proposal awaiting approval past its expiry 'expired', with an 'expired' audit entry (the sweep).

    False when it no longer awaits approval (reviewed or expired meanwhile) or is not past its expiry. Like a
    rejection, expiry publishes no event: the proposal ends without having executed."""
    row = session.get(ActionProposal, proposal_id)
    if row is None or not take(session, row, PENDING) or effective_status(row, now) != EXPIRED:
        return False
    _mark_expired(session, row, "expiry sweep")
    return True


def _expired_error(row: ActionProposal) -> ProposalExpired:
    at = row.expires_at.isoformat() if row.expires_at else "its expiry"
    return ProposalExpired(f"proposal {row.id} expired at {at}; propose it again")


def _pending(session: Session, org_id: uuid.UUID, proposal_id: uuid.UUID) -> ActionProposal:
    """The proposal, taken (`execution.take`: a concurrent review or the sweep waits), if it still awaits approval;
    one past its expiry is marked 'expired' (audited; the router commits that before answering `ProposalExpired`)."""
    row = get_scoped(session, ActionProposal, org_id, proposal_id, "proposal")
    if not take(session, row, PENDING):
        if row.status == EXPIRED:
            raise _expired_error(row)
        raise Conflict(f"proposal {proposal_id} is '{row.status}', not awaiting approval")
    if effective_status(row) == EXPIRED:
        _mark_expired(session, row, "review after expiry")
        raise _expired_error(row)
    return row


def approve(
    session: Session, runtime: ActionsRuntime, *, org_id: uuid.UUID, who: Principal, proposal_id: uuid.UUID, reason: str
) -> ActionProposal:
    """A supervisor approves a queued proposal: it executes now (open breakers still block it).

    Approving again a proposal whose execution was interrupted (status 'executing') resumes that execution."""
    interrupted = get_scoped(session, ActionProposal, org_id, proposal_id, "proposal")
    if interrupted.status == EXECUTING:
        return _replay(session, runtime, interrupted)
    row = _pending(session, org_id, proposal_id)
    open_ = repository.open_breakers(
        session, org_id, [("action", s["action"]) for s in row.steps] + [("agent", row.actor_ref)]
    )
    if open_:
        raise Conflict(f"circuit breaker open for {open_[0].scope} '{open_[0].key}': {open_[0].reason}")
    row.status, row.reviewed_by, row.review_reason, row.reviewed_at = "approved", who.key_id, reason, utcnow()
    audit.append(
        session, org_id=org_id, kind="approval", proposal_id=row.id, payload={"by": actor_ref(who), "reason": reason}
    )
    execute_durably(session, runtime, row)
    _after(session, runtime, row)
    return row


def reject(
    session: Session, *, org_id: uuid.UUID, who: Principal, proposal_id: uuid.UUID, reason: str
) -> ActionProposal:
    """A supervisor rejects a queued proposal, with the reason."""
    row = _pending(session, org_id, proposal_id)
    row.status, row.reviewed_by, row.review_reason, row.reviewed_at = "rejected", who.key_id, reason, utcnow()
    audit.append(
        session, org_id=org_id, kind="rejection", proposal_id=row.id, payload={"by": actor_ref(who), "reason": reason}
    )
    return row


def reverse_proposal(
    session: Session, runtime: ActionsRuntime, *, org_id: uuid.UUID, who: Principal, proposal_id: uuid.UUID, reason: str
) -> ActionProposal:
    """A supervisor reverses an executed proposal by running its compensation."""
    row = get_scoped(session, ActionProposal, org_id, proposal_id, "proposal")
    if row.status != "executed":
        raise Conflict(f"proposal {proposal_id} is '{row.status}'; only executed proposals can be reversed")
    reverse(session, runtime, row, reason, actor_ref(who))
    _after(session, runtime, row)
    return row
