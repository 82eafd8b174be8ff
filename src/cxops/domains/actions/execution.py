"""Executing a decided proposal step by step through its connectors, compensating on a half-way failure."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from cxops.contracts.events import ActionExecuted
from cxops.core.auth import Role
from cxops.core.clock import utcnow
from cxops.core.errors import CxopsError
from cxops.core.events import emit
from cxops.domains.actions import audit
from cxops.domains.actions.errors import ConnectorTimeout, OutcomeUnknown, OutcomeUnknownTimeout
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.runtime import ActionsRuntime

log = logging.getLogger(__name__)

FAILED_STATUSES = ("failed", "compensated", "failed_uncompensated")
#: Decided (or approved) and committed as such before any connector call; ends executed/failed/compensated.
#: A live execution whose connector gave no definite answer also stays 'executing' (see `run_steps`).
EXECUTING = "executing"
#: The audit kind of a live execution left 'executing' because a step's outcome is unknown.
OUTCOME_UNKNOWN = "outcome_unknown"


def actor_kind_of(row: ActionProposal) -> str:
    """'ai' for service keys unless the context says otherwise (the trust domain counts AI actions only)."""
    declared = (row.context or {}).get("actor_kind")
    return str(declared or ("ai" if row.actor_role == Role.SERVICE.value else "human"))


def announce(session: Session, row: ActionProposal) -> None:
    """Publish `actions.executed` with the proposal's outcome (in the caller's transaction, through the outbox)."""
    emit(
        session,
        org_id=row.org_id,
        event=ActionExecuted(
            proposal_id=str(row.id),
            action=row.action,
            status=row.status,
            customer_ref=row.customer_ref,
            actor_ref=row.actor_ref,
            actor_kind=actor_kind_of(row),
            amount=row.amount,
        ),
    )


def _message(exc: Exception) -> str:
    if isinstance(exc, CxopsError):
        return exc.message
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _compensate(runtime: ActionsRuntime, row: ActionProposal, done: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    """Undo completed steps in reverse order; returns (all undone, notes)."""
    ok, notes = True, []
    for item in reversed(done):
        spec = runtime.catalogue.get(item["action"])
        if not spec.reversible:
            ok = False
            notes.append(f"step {item['step']} ({spec.name}) is not reversible")
            continue
        try:
            runtime.connector_for(spec).compensate(
                org_id=row.org_id, action=spec.name, params=item["params"], outcome=item["outcome"]
            )
            notes.append(f"step {item['step']} ({spec.name}) compensated")
        except Exception as exc:  # a failed compensation is recorded, never hidden
            ok = False
            notes.append(f"step {item['step']} ({spec.name}) compensation failed: {_message(exc)}")
    return ok, notes


def execute_durably(session: Session, runtime: ActionsRuntime, row: ActionProposal) -> None:
    """Commit the intent (status 'executing', with the caller's audit rows and events), then run the steps.

    The intent is durable before the system of record is touched: a process killed during a connector call leaves
    the proposal 'executing' (visible, never lost), and a retry of the same idempotency key (or approval) resumes it
    with the same connector idempotency keys `<proposal id>:<step>`, so the system of record applies each step once.
    """
    row.status = EXECUTING
    session.commit()
    resume(session, runtime, row)


def take(session: Session, row: ActionProposal, status: str) -> bool:
    """Take `row` for this transaction if it is still `status`; refreshed; False if another one changed it meanwhile.

    An UPDATE of the row, so it holds a row lock (PostgreSQL) or the write lock (SQLite) until this transaction ends:
    a concurrent one waits, then finds the outcome and only reads it.
    """
    taken = session.execute(
        update(ActionProposal)
        .where(ActionProposal.id == row.id, ActionProposal.status == status)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    return getattr(taken, "rowcount", 0) == 1


def claim(session: Session, row: ActionProposal) -> bool:
    """Take an 'executing' proposal for this transaction (`take`) until its outcome commits; False if another one
    finished it meanwhile (a concurrent retry waits, then finds the proposal finished and only reads it)."""
    return take(session, row, EXECUTING)


def resume(
    session: Session, runtime: ActionsRuntime, row: ActionProposal, *, recovery: dict[str, Any] | None = None
) -> bool:
    """Claim an 'executing' proposal and run its steps; False if another request finished it meanwhile.

    `recovery` (the recovery sweep's note) is audited as a 'recovery' entry once the claim holds, before the
    execution entry; a resumption by the sweep raises a connector failure that leaves a step's outcome unknown
    instead of recording it (see `run_steps`), so the proposal stays 'executing' for the sweep to retry.
    """
    if not claim(session, row):
        return False
    if recovery is not None:
        audit.append(session, org_id=row.org_id, kind="recovery", proposal_id=row.id, payload=recovery)
    run_steps(session, runtime, row, raise_unsettled=recovery is not None)
    return True


def settled(exc: Exception) -> bool:
    """Whether a connector failure is the system of record's answer (it refused: 4xx, nothing applied under the
    step's idempotency key) rather than one that leaves the step's outcome unknown (timeout, 5xx, anything else)."""
    return isinstance(exc, CxopsError) and exc.status_code < 500


def run_steps(session: Session, runtime: ActionsRuntime, row: ActionProposal, *, raise_unsettled: bool = False) -> None:
    """Execute every step; on failure compensate the completed ones; record, audit and announce the outcome.

    A failure that is not `settled` (timeout, 5xx, garbage: the step may have been applied) is never recorded as
    'failed', which would invite a blind retry, and nothing is compensated. With `raise_unsettled` (the recovery
    sweep) it is raised: the caller's transaction rolls back and a later attempt runs the steps again with the same
    connector idempotency keys. On the live path (a request) the proposal stays 'executing' with the unknown step
    noted and audited (`leave_for_recovery`); the router answers `OutcomeUnknown`, and a retry of the request or the
    recovery sweep (once its lease has passed) resumes it with the same keys.
    """
    done: list[dict[str, Any]] = []
    error: str | None = None
    for i, step in enumerate(row.steps):
        spec = runtime.catalogue.get(step["action"])
        try:
            outcome = runtime.connector_for(spec).execute(
                org_id=row.org_id, action=spec.name, params=step["params"], idempotency_key=f"{row.id}:{i}"
            )
        except Exception as exc:  # every connector failure ends in a recorded, compensated state
            if not settled(exc):
                if raise_unsettled:
                    raise
                leave_for_recovery(session, row, done, step=i, action=spec.name, exc=exc)
                return
            error = f"step {i} ({spec.name}) failed: {_message(exc)}"
            break
        done.append({"step": i, "action": spec.name, "params": step["params"], "outcome": outcome})
    notes: list[str] = []
    if error is None:
        row.status = "executed"
    elif not done:
        row.status = "failed"
    else:
        ok, notes = _compensate(runtime, row, done)
        row.status = "compensated" if ok else "failed_uncompensated"
        error = f"{error}; " + "; ".join(notes)
    row.error, row.executed_at = error, utcnow()
    row.outcome = {"steps": done, "compensation": notes}
    results = [{"step": d["step"], "action": d["action"], "result": d["outcome"].get("result")} for d in done]
    audit.append(
        session,
        org_id=row.org_id,
        kind="execution",
        proposal_id=row.id,
        payload={"status": row.status, "error": error, "results": results, "compensation": notes},
    )
    announce(session, row)


def leave_for_recovery(
    session: Session, row: ActionProposal, done: list[dict[str, Any]], *, step: int, action: str, exc: Exception
) -> None:
    """Keep a live execution 'executing' after a step ended without a definite answer: note the unknown step on
    the proposal (`outcome.unknown`, `error`) and audit it; nothing is announced, the execution has not ended."""
    timed_out = isinstance(exc, ConnectorTimeout)
    row.error = f"outcome unknown: step {step} ({action}): {_message(exc)}"
    row.outcome = {
        "steps": done,
        "compensation": [],
        "unknown": {"step": step, "action": action, "error_type": type(exc).__name__, "timed_out": timed_out},
    }
    audit.append(
        session,
        org_id=row.org_id,
        kind=OUTCOME_UNKNOWN,
        proposal_id=row.id,
        payload={
            "status": row.status,
            "step": step,
            "action": action,
            "error_type": type(exc).__name__,
            "error": _message(exc),
            "completed_steps": [d["step"] for d in done],
            "next": "a retry or the recovery sweep resumes it with the same connector idempotency keys",
        },
    )
    log.warning(
        "action outcome unknown; left executing for a retry or the recovery sweep",
        extra={
            "proposal_id": str(row.id),
            "org_id": str(row.org_id),
            "action": action,
            "error_type": type(exc).__name__,
        },
    )


def outcome_unknown(row: ActionProposal, details: Any = None) -> OutcomeUnknown:
    """The error answering a request whose execution was left 'executing' by `leave_for_recovery`."""
    unknown = (row.outcome or {}).get("unknown") or {}
    timed_out = bool(unknown.get("timed_out"))
    what = "the connector timed out" if timed_out else "the connector gave no definite answer"
    where = f" on step {unknown['step']} ({unknown.get('action')})" if "step" in unknown else ""
    message = (
        f"outcome unknown: {what}{where}; the action will be re-tried safely with the same idempotency key by the "
        f"recovery sweep (or by retrying this request), see proposal {row.id}"
    )
    return (OutcomeUnknownTimeout if timed_out else OutcomeUnknown)(message, details=details)


def reverse(session: Session, runtime: ActionsRuntime, row: ActionProposal, reason: str, by: str) -> None:
    """Undo an executed proposal (a supervisor's reversal); counts toward the reversal-rate breaker."""
    done = (row.outcome or {}).get("steps") or []
    ok, notes = _compensate(runtime, row, done)
    row.status = "reversed" if ok else "failed_uncompensated"
    audit.append(
        session,
        org_id=row.org_id,
        kind="reversal",
        proposal_id=row.id,
        payload={"by": by, "reason": reason, "ok": ok, "notes": notes},
    )
    announce(session, row)
