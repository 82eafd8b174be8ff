"""How the composition root plugs the knowledge domain into the event bus."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cxops.contracts.assist_events import AssistArticlesShown
from cxops.core.events import Delivered, Subscriptions
from cxops.core.ids import parse_uuids
from cxops.domains.knowledge.service import record_assist_attributions

__all__ = ["on_articles_shown", "subscribe"]


def subscribe(subs: Subscriptions) -> Subscriptions:
    """Register the knowledge domain's consumers: the articles real-time assist showed become attributions."""
    subs.subscribe(AssistArticlesShown.event_type, "knowledge.assist_attribution", on_articles_shown)
    return subs


def on_articles_shown(session: Session, event: Delivered) -> None:
    """Record `shown` (and `used`) attributions of a live call's articles; what no longer exists is skipped."""
    interaction = parse_uuids([event.payload.get("interaction_id")])
    if not interaction:
        return
    record_assist_attributions(
        session,
        org_id=event.org_id,
        interaction_id=interaction[0],
        shown=parse_uuids(event.payload.get("article_ids") or []),
        used=parse_uuids(event.payload.get("used_article_ids") or []),
    )
