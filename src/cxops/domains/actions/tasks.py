"""Background work of the actions domain: recovering executions that a crash left 'executing'."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.clock import utcnow
from cxops.core.db import unit_of_work
from cxops.core.errors import CxopsError
from cxops.domains.actions import repository, service
from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.runtime import ActionsRuntime

log = logging.getLogger(__name__)


def recover_interrupted(
    factory: sessionmaker[Session], runtime: ActionsRuntime, *, lease_s: int, limit: int = 100
) -> list[dict[str, Any]]:
    """Resume every proposal 'executing' for longer than `lease_s`, each in its own transaction, as a retry would.

    The connector idempotency keys `<proposal id>:<step>` make the system of record apply each step once, and the
    claim makes a concurrent retry or sweep finish it only once. Returns one line per proposal found: its id,
    organisation and outcome (the new status, 'finished elsewhere', or 'failed: <error>' to be retried next time).
    """
    with factory() as session:
        found = [(r.id, r.org_id) for r in repository.stuck_executing(
            session, before=utcnow() - timedelta(seconds=lease_s), limit=limit
        )]  # fmt: skip
    report = []
    for proposal_id, org_id in found:
        try:
            with unit_of_work(factory) as session:
                row = session.get(ActionProposal, proposal_id)
                resumed = row is not None and service.recover(session, runtime, row=row, lease_s=lease_s)
                outcome = row.status if resumed and row is not None else "finished elsewhere"
        except (OperationalError, CxopsError) as exc:  # a database still locked, an action gone from the catalogue
            outcome = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            log.warning("action recovery failed", extra={"proposal_id": str(proposal_id), "error": outcome})
        report.append({"proposal_id": str(proposal_id), "org_id": str(org_id), "outcome": outcome})
    if report:
        log.info("interrupted actions recovered", extra={"proposals": len(report)})
    return report
