"""Demo seed for call documentation: the recent interactions documented before the server starts.

The served demo's `assist.documentation` consumer documents every interaction as the event backlog of the loaded
history drains, oldest batch first, which takes minutes. Without this seed the newest calls, the ones a visitor
opens first, stayed undocumented for most of that time while the Call documentation page listed calls weeks old.
This seed writes the documentation of the last `DOC_DAYS` days through the assist domain's own
`document_interactions` (as `cxops assist document --since ... --missing-only` does, with the ports the API binds),
in committed batches.

Idempotent: interactions already documented are skipped (`only_missing`), so a second call adds nothing. The
backlog's consumer later rewrites these rows with the same content (a redelivered `interactions.ended` rewrites,
never duplicates).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.domains.assist import documentation
from cxops.domains.interactions.public import Interaction
from cxops.entrypoints.autodoc_wiring import documentation_ports

#: One day (~1,550 contacts of the default demo, 15-30 s: the extractive summary embeds each call's sentences);
#: two days took 54 s at load 4 on the 2-core machine, too long a wait before the demo serves.
DOC_DAYS = 1
SPAN = "day" if DOC_DAYS == 1 else f"{DOC_DAYS} days"
BATCH = 200
#: Upper bound on the interactions documented here (the rest is left to the event consumer).
MAX_DOCUMENTED = 12_000


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Document the ended interactions of the last DOC_DAYS days that have no documentation yet (idempotent)."""
    with unit_of_work(factory) as session:
        ids = list(
            session.scalars(
                select(Interaction.id)
                .where(
                    Interaction.org_id == org_id,
                    Interaction.started_at >= now - timedelta(days=DOC_DAYS),
                    Interaction.started_at < now,
                    Interaction.ended_at.is_not(None),
                )
                .order_by(Interaction.started_at.desc())
                .limit(MAX_DOCUMENTED)
            )
        )
    ports = documentation_ports(settings)
    started, written = time.perf_counter(), 0
    for k in range(0, len(ids), BATCH):
        with unit_of_work(factory) as session:
            rows = documentation.document_interactions(
                session, org_id=org_id, interaction_ids=ids[k : k + BATCH], ports=ports, only_missing=True
            )
            written += len(rows)
    if not ids:
        return f"Documentation: no ended interaction in the last {SPAN}; nothing added"
    if not written:
        return f"Documentation: the interactions of the last {SPAN} are already documented; nothing added"
    return (
        f"Documentation: {written:,} interactions of the last {SPAN} documented in "
        f"{time.perf_counter() - started:.0f} s; the served demo documents the rest of history in the background"
    )
