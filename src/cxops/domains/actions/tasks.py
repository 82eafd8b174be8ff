"""Background work of the actions domain: expiring approvals past their expiry, recovering executions that a crash
(or a connector's timeout) left 'executing'."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cxops.core.clock import utcnow
from cxops.core.db import unit_of_work
from cxops.domains.actions import recovery, repository, service
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.runtime import ActionsRuntime

log = logging.getLogger(__name__)


def expire_overdue(factory: sessionmaker[Session], *, limit: int = 500) -> list[dict[str, Any]]:
    """Mark every proposal awaiting approval past its expiry 'expired', each in its own transaction with one
    'expired' audit entry (`service.expire`; a proposal reviewed or expired meanwhile is left alone). Returns one
    line per proposal marked: its id, organisation and outcome 'expired'."""
    now = utcnow()
    with factory() as session:
        found = repository.overdue_approvals(session, now=now, limit=limit)
    report = []
    for proposal_id, org_id in found:
        try:
            with unit_of_work(factory) as session:
                marked = service.expire(session, proposal_id=proposal_id, now=now)
        except Exception as exc:  # the next sweep tries again; the others still expire
            fields = {"proposal_id": str(proposal_id), "org_id": str(org_id), "error_type": type(exc).__name__}
            log.warning("expiring an action approval failed; will retry", extra=fields)
            continue
        if marked:
            report.append(_line(proposal_id, org_id, "expired"))
    return _logged(report, "action approvals expired")


def sweep(
    factory: sessionmaker[Session],
    runtime: ActionsRuntime,
    *,
    lease_s: int,
    max_attempts: int = 10,
    backoff_s: float = 60.0,
) -> list[dict[str, Any]]:
    """One run of the periodic sweep (`cxops worker`, or the API without a worker): expire overdue approvals, then
    recover interrupted executions. The report lines of both."""
    expired = expire_overdue(factory)
    return expired + recover_interrupted(
        factory, runtime, lease_s=lease_s, max_attempts=max_attempts, backoff_s=backoff_s
    )


def recover_interrupted(
    factory: sessionmaker[Session],
    runtime: ActionsRuntime,
    *,
    lease_s: int,
    limit: int = 100,
    max_attempts: int = 10,
    backoff_s: float = 60.0,
) -> list[dict[str, Any]]:
    """Resume every proposal 'executing' for longer than `lease_s`, each in its own transaction, as a retry would.

    The connector idempotency keys `<proposal id>:<step>` make the system of record apply each step once, and the
    claim makes a concurrent retry or sweep finish it only once. A proposal that cannot be resumed is recorded in a
    second transaction (`service.record_recovery_failure`): a permanent reason ends it 'failed_uncompensated' for
    human review at once; any other is retried after a backoff (`backoff_s`, doubled each attempt) and given up
    after `max_attempts`. Returns one line per proposal found: its id, organisation and outcome (the new status,
    'finished elsewhere', 'failed: <error> (attempt n of N, ...)' to be retried, or 'gave up: <reason>').
    """
    now = utcnow()
    with factory() as session:
        found = [(r.id, r.org_id) for r in repository.stuck_executing(
            session, before=now - timedelta(seconds=lease_s), now=now, limit=limit
        )]  # fmt: skip
    report = []
    for proposal_id, org_id in found:
        try:
            with unit_of_work(factory) as session:
                row = session.get(ActionProposal, proposal_id)
                resumed = row is not None and service.recover(session, runtime, row=row, lease_s=lease_s)
                outcome = row.status if resumed and row is not None else "finished elsewhere"
        except Exception as exc:  # why it could not be resumed decides what happens next, in its own transaction
            outcome = _record_failure(factory, runtime, proposal_id, org_id, exc, max_attempts, backoff_s)
        report.append(_line(proposal_id, org_id, outcome))
    return _logged(report, "interrupted actions recovered")


def _line(proposal_id: uuid.UUID, org_id: uuid.UUID, outcome: str) -> dict[str, Any]:
    return {"proposal_id": str(proposal_id), "org_id": str(org_id), "outcome": outcome}


def _logged(report: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    if report:
        log.info(message, extra={"proposals": len(report)})
    return report


def _record_failure(
    factory: sessionmaker[Session],
    runtime: ActionsRuntime,
    proposal_id: uuid.UUID,
    org_id: uuid.UUID,
    exc: Exception,
    max_attempts: int,
    backoff_s: float,
) -> str:
    """Record a failed attempt; the report line. Logs carry ids, the action name and error class names only."""
    fields: dict[str, Any] = {"proposal_id": str(proposal_id), "org_id": str(org_id), "error_type": type(exc).__name__}
    try:
        with unit_of_work(factory) as session:
            row = session.get(ActionProposal, proposal_id)
            noted = None
            if row is not None:
                fields["action"] = row.action
                noted = service.record_recovery_failure(
                    session, runtime, row=row, error=exc, max_attempts=max_attempts, backoff_s=backoff_s
                )
    except Exception as again:  # the database itself failing: nothing counted, the next sweep tries again
        log.warning(
            "action recovery failed, attempt not recorded", extra={**fields, "record_error_type": type(again).__name__}
        )
        return f"failed: {recovery.describe(exc)} (attempt not recorded: {type(again).__name__})"
    if not noted:
        return "finished elsewhere"
    fields.update(attempt=noted["attempt"], max_attempts=max_attempts)
    if noted["outcome"] == "gave_up":
        log.error(
            "action recovery gave up; the proposal needs human review",
            extra={**fields, "permanent": noted["permanent"]},
        )
        return f"gave up: {noted['reason']}"
    log.warning("action recovery failed; will retry", extra={**fields, "next_attempt_at": noted["next_attempt_at"]})
    attempt, next_at = noted["attempt"], noted["next_attempt_at"]
    return f"failed: {noted['error']} (attempt {attempt} of {max_attempts}; next after {next_at})"
