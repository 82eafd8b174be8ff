"""Event consumers of the QA domain: score every ended interaction an agent (human or AI) took part in; re-score
history when a scorecard changes (both through `service.score_interactions`, which skips agentless contacts)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.contracts.events import InteractionsEnded
from cxops.core.events import Delivered, Subscriptions, emit
from cxops.core.ids import parse_uuids
from cxops.domains.interactions.public import Interaction
from cxops.domains.qa import service
from cxops.domains.qa.compute.model import Encoder
from cxops.domains.qa.models import QaScorecard
from cxops.domains.qa.ports import QaFacts

RESCORE_BATCH = 200


def subscribe(
    subs: Subscriptions, encoder: Callable[[], Encoder | None], facts: QaFacts | None = None
) -> Subscriptions:
    """Register the scoring consumers; `encoder` gives the (lazily built) sentence encoder, `facts` what other
    domains hold about an interaction (its actions and cited articles), as the API's scoring uses them."""

    def on_ended(session: Session, event: Delivered) -> None:
        ids = parse_uuids(event.payload.get("interaction_ids", []))
        rescore = event.payload.get("rescore_scorecard_id")
        cards = None
        if rescore:
            card = session.get(QaScorecard, uuid.UUID(rescore))
            cards = [card] if card is not None and card.active else []
        service.score_interactions(
            session,
            org_id=event.org_id,
            interaction_ids=ids,
            encoder=encoder(),
            facts=facts,
            scorecards=cards,
            only_missing=bool(rescore),  # history re-score: what was scored by this version since stays as it is
        )

    def on_activated(session: Session, event: Delivered) -> None:
        """Re-score every ended interaction in durable batches (one job event per batch)."""
        ids = session.scalars(
            select(Interaction.id)
            .where(Interaction.org_id == event.org_id, Interaction.ended_at.is_not(None))
            .order_by(Interaction.id)
        )
        batch: list[str] = []
        for iid in ids:
            batch.append(str(iid))
            if len(batch) == RESCORE_BATCH:
                _job(session, event, batch)
                batch = []
        if batch:
            _job(session, event, batch)

    subs.subscribe("interactions.ended", "qa.scoring", on_ended)
    subs.subscribe("qa.rescore", "qa.scoring", on_ended)
    subs.subscribe("qa.scorecard_activated", "qa.rescore_planner", on_activated)
    return subs


class _Rescore(InteractionsEnded):
    """A re-scoring batch for one scorecard version (same shape as InteractionsEnded, its own type)."""

    event_type = "qa.rescore"
    rescore_scorecard_id: str


def _job(session: Session, event: Delivered, batch: list[str]) -> None:
    emit(
        session,
        org_id=event.org_id,
        event=_Rescore(interaction_ids=batch, source="qa-rescore", rescore_scorecard_id=event.payload["scorecard_id"]),
    )
