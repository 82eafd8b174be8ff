"""How the composition root plugs the trust domain in: event consumers, the redactor, the purge task."""

from __future__ import annotations

from cxops.core.events import Subscriptions
from cxops.domains.trust.ports import NameFinder
from cxops.domains.trust.privacy import PiiRedactor
from cxops.domains.trust.service import on_action_outcome, on_interactions_ended
from cxops.domains.trust.tasks import PurgeScheduler

#: Event types of the actions domain, subscribed by name so trust never imports it.
ACTION_EVENTS = ("actions.decided", "actions.executed")

__all__ = ["ACTION_EVENTS", "PurgeScheduler", "make_redactor", "subscribe"]


def subscribe(subs: Subscriptions) -> Subscriptions:
    """Register the trust ledger's consumers on `subs`."""
    subs.subscribe("interactions.ended", "trust.ledger", on_interactions_ended)
    for event_type in ACTION_EVENTS:
        subs.subscribe(event_type, "trust.actions", on_action_outcome)
    return subs


def make_redactor(mode: str, *, names: NameFinder | None = None) -> PiiRedactor | None:
    """The ingestion redactor for CXOPS_PII_MODE (off -> None)."""
    if mode == "off":
        return None
    return PiiRedactor(keep_original=mode == "redact_keep_original", names=names)
