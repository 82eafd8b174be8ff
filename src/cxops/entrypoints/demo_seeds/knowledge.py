"""Demo seed for the knowledge hub: the fragmented sources besides the help centre, and article attribution.

Sources: `integrations/demo/knowledge_sources.py` writes a legacy FAQ (CSV), a Zendesk Guide export (JSON), a
supervisor-only Confluence space (HTML) and EU-only policy pages (Markdown) into the organisation's knowledge
folder; each is registered and synced through the knowledge service, as `cxops kb add-source` / `cxops kb sync`
do, with its owner, audience and review dates. Knowledge health then has real conflicts, a near-duplicate, stale
articles and restricted content to show.

Attribution: for the most recent ended calls, the article live assist shows first for the customer's opening words
is recorded as `shown` through the knowledge service, searched with the access the agent's desk would have had
(agent role, the customer's region and tier). The interactions' real outcomes then give each article its
resolution rate ("which articles resolve"). Live assist records what it shows at the end of each live call; this
stands in for the calls of the loaded history.

Idempotent: a source that exists is not added again (its files are not rewritten), and attributions are unique per
interaction, article and usage, so a second call adds nothing.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.auth import Role
from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.core.models import Organisation
from cxops.domains.directory.public import Customer
from cxops.domains.interactions.public import Interaction
from cxops.domains.knowledge import repository as knowledge_repo
from cxops.domains.knowledge import schemas as knowledge_schemas
from cxops.domains.knowledge import service as knowledge_service
from cxops.domains.knowledge.models import KnowledgeAttribution
from cxops.domains.knowledge.public import Embedder, search
from cxops.integrations.demo.knowledge_sources import DemoSource, demo_sources, write_source
from cxops.integrations.embeddings import default_embedder

#: Calls of the last ATTRIBUTION_HOURS hours (at most MAX_ATTRIBUTED, newest first) get their shown article.
ATTRIBUTION_HOURS = 24
MAX_ATTRIBUTED = 1_000


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Add and sync the demo's other knowledge sources, then attribute recent calls' articles (idempotent)."""
    embedder = default_embedder(settings.effective_models_dir)
    started = time.perf_counter()
    added = [_add_source(factory, org_id, settings, embedder, source, now) for source in demo_sources(now)]
    new = [a for a in added if a is not None]
    attributed = _attribute(factory, org_id, settings, embedder, now)
    if not new and not attributed:
        return "Knowledge: the demo's other sources and attributions are already there; nothing added"
    with unit_of_work(factory) as session:
        health = knowledge_service.knowledge_health(
            session, org_id=org_id, data_dir=settings.data_dir, embedder=embedder
        )
    sources = ", ".join(new) if new else "none new"
    return (
        f"Knowledge: sources added: {sources}; {attributed:,} recent calls attributed to the article assist shows "
        f"first; health {health['readiness']}/100 ({len(health['conflicts'])} conflicts, {len(health['duplicates'])} "
        f"near-duplicates, {len(health['stale'])} stale) in {time.perf_counter() - started:.0f} s"
    )


def _add_source(
    factory: sessionmaker[Session],
    org_id: uuid.UUID,
    settings: Settings,
    embedder: Embedder | None,
    source: DemoSource,
    now: datetime,
) -> str | None:
    """Register and sync one source unless it exists; returns a short description of what was added, or None."""
    with unit_of_work(factory) as session:
        if knowledge_repo.source_by_name(session, org_id, source.name) is not None:
            return None
        slug = session.scalar(select(Organisation.slug).where(Organisation.id == org_id))
    folder = write_source(settings.knowledge_roots_for(str(slug))[0], source)
    data = knowledge_schemas.SourceCreate(
        name=source.name,
        kind=source.kind,
        path=str(folder),
        owner=source.owner,
        audience_roles=[Role(r) for r in source.audience_roles],
        regions=list(source.regions),
        review_interval_days=source.review_interval_days,
        last_reviewed_at=source.last_reviewed(now),
    )
    with unit_of_work(factory) as session:
        row = knowledge_service.create_source(session, org_id=org_id, data=data)
        run = knowledge_service.sync(session, org_id=org_id, source_id=row.id, embedder=embedder)
        return f"{source.name} ({run.added} articles)"


def _attribute(
    factory: sessionmaker[Session], org_id: uuid.UUID, settings: Settings, embedder: Embedder | None, now: datetime
) -> int:
    """Record the first article assist shows for each recent call's opening customer words; returns how many new."""
    with unit_of_work(factory) as session:
        calls = session.execute(
            select(Interaction.id, Customer.region, Customer.tier)
            .outerjoin(Customer, Customer.id == Interaction.customer_id)
            .where(
                Interaction.org_id == org_id,
                Interaction.started_at >= now - timedelta(hours=ATTRIBUTION_HOURS),
                Interaction.started_at < now,
                Interaction.ended_at.is_not(None),
            )
            .order_by(Interaction.started_at.desc())
            .limit(MAX_ATTRIBUTED)
        ).all()
        ids = [c.id for c in calls]
        done = set(
            session.scalars(
                select(KnowledgeAttribution.interaction_id).where(KnowledgeAttribution.interaction_id.in_(ids))
            )
        )
        opening = knowledge_repo.first_customer_turns(session, ids)
    recorded = 0
    with unit_of_work(factory) as session:
        for call in calls:
            first_words = opening.get(call.id)
            if call.id in done or not first_words:
                continue
            access = knowledge_service.access_for(Role.AGENT, region=call.region, tier=call.tier)
            results, _ = search(
                session,
                org_id=org_id,
                data_dir=settings.data_dir,
                embedder=embedder,
                query=first_words,
                access=access,
                k=1,
            )
            if not results:
                continue
            article_id = uuid.UUID(str(results[0]["citation"]["article_id"]))
            knowledge_service.record_attribution(
                session,
                org_id=org_id,
                data=knowledge_schemas.AttributionCreate(article_id=article_id, interaction_id=call.id, usage="shown"),
            )
            recorded += 1
    return recorded
