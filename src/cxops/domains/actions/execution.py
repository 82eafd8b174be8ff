"""Executing a decided proposal step by step through its connectors, compensating on a half-way failure."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxops.contracts.events import ActionExecuted
from cxops.core.auth import Role
from cxops.core.clock import utcnow
from cxops.core.errors import CxopsError
from cxops.core.events import emit
from cxops.domains.actions import audit
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.runtime import ActionsRuntime

FAILED_STATUSES = ("failed", "compensated", "failed_uncompensated")


def actor_kind_of(row: ActionProposal) -> str:
    """'ai' for service keys unless the context says otherwise (the trust domain counts AI actions only)."""
    declared = (row.context or {}).get("actor_kind")
    return str(declared or ("ai" if row.actor_role == Role.SERVICE.value else "human"))


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


def run_steps(session: Session, runtime: ActionsRuntime, row: ActionProposal) -> None:
    """Execute every step; on failure compensate the completed ones; record, audit and announce the outcome."""
    done: list[dict[str, Any]] = []
    error: str | None = None
    for i, step in enumerate(row.steps):
        spec = runtime.catalogue.get(step["action"])
        try:
            outcome = runtime.connector_for(spec).execute(
                org_id=row.org_id, action=spec.name, params=step["params"], idempotency_key=f"{row.id}:{i}"
            )
        except Exception as exc:  # every connector failure ends in a recorded, compensated state
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
