"""Approvals past their expiry are settled on a schedule, not only when someone reads tasks or runs: the runs that
waited for them end as 'expired' (their remaining steps skipped) even when nobody opens the console."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cxops.core.db import unit_of_work
from cxops.core.periodic import Periodic
from cxops.domains.workflows.service import expire_approvals


def expire_once(factory: sessionmaker[Session]) -> int:
    """Settle every organisation's approvals past their expiry; returns how many expired."""
    with unit_of_work(factory) as session:
        return expire_approvals(session)


class ExpiryScheduler(Periodic):
    """Runs `expire_once` every `interval_s` seconds in a daemon thread (0 disables it)."""

    def __init__(self, factory: sessionmaker[Session], interval_s: float) -> None:
        super().__init__("cxops-approval-expiry", interval_s, lambda: expire_once(factory))
