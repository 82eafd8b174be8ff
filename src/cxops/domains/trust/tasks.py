"""Background work of the trust domain: the periodic purge of expired memory, and the ledger backfill."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.db import unit_of_work
from cxops.core.models import Organisation
from cxops.core.periodic import Periodic
from cxops.domains.trust import repository as repo
from cxops.domains.trust.memory import purge_expired
from cxops.domains.trust.service import derive_from_interactions

log = logging.getLogger(__name__)


def purge_once(factory: sessionmaker[Session]) -> int:
    """Delete expired memory items in one transaction; returns how many."""
    with unit_of_work(factory) as session:
        count = purge_expired(session)
    if count:
        log.info("expired memory purged", extra={"items": count})
    return count


def rebuild(factory: sessionmaker[Session], *, org_id: uuid.UUID | None = None, page: int = 500) -> int:
    """Re-derive the ledger from every ended interaction (one transaction per page); returns entries written."""
    with factory() as session:
        orgs = [org_id] if org_id is not None else list(session.scalars(select(Organisation.id)))
    written = 0
    for org in orgs:
        after: uuid.UUID | None = None
        while True:
            with unit_of_work(factory) as session:
                ids = repo.interaction_ids_page(session, org, after, page)
                if not ids:
                    break
                written += derive_from_interactions(session, org_id=org, interaction_ids=ids)
            after = ids[-1]
    return written


class PurgeScheduler(Periodic):
    """Runs `purge_once` every `interval_s` seconds in a daemon thread (0 disables it)."""

    def __init__(self, factory: sessionmaker[Session], interval_s: float) -> None:
        super().__init__("cxops-trust-purge", interval_s, lambda: purge_once(factory))
