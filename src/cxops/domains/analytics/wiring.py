"""How entry points attach analytics to the event bus."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cxops.contracts.events import AgentStatesRecorded, InteractionsEnded
from cxops.core.events import Delivered, Subscriptions
from cxops.domains.analytics import alerts
from cxops.domains.analytics.live import on_contacts_changed


def subscribe(subs: Subscriptions) -> Subscriptions:
    """Register analytics' consumers: ingested contacts and agent states wake the live view."""
    # local: the live streams are held by each API process, so every process must be woken (not one worker)
    subs.subscribe(InteractionsEnded.event_type, "analytics.live.contacts", on_contacts_changed, local=True)
    subs.subscribe(AgentStatesRecorded.event_type, "analytics.live.states", on_contacts_changed, local=True)
    subs.subscribe(InteractionsEnded.event_type, "analytics.alerts.service_level", alerts.check_service_level)
    subs.subscribe(InteractionsEnded.event_type, "analytics.alerts.topics", _scan)
    return subs


def _scan(session: Session, event: Delivered) -> None:
    alerts.scan_topics(session, event)
