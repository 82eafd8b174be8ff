"""How entry points attach analytics to the event bus."""

from __future__ import annotations

from cxops.contracts.events import AgentStatesRecorded, InteractionsEnded
from cxops.core.events import Subscriptions
from cxops.domains.analytics.live import on_contacts_changed


def subscribe(subs: Subscriptions) -> Subscriptions:
    """Register analytics' consumers: ingested contacts and agent states wake the live view."""
    subs.subscribe(InteractionsEnded.event_type, "analytics.live.contacts", on_contacts_changed)
    subs.subscribe(AgentStatesRecorded.event_type, "analytics.live.states", on_contacts_changed)
    return subs
