"""Event consumers of the workflows domain, registered by entrypoints."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from cxops.core.events import Delivered, Subscriptions
from cxops.domains.workflows import service
from cxops.domains.workflows.compute.rules import TRIGGERS
from cxops.domains.workflows.ports import WebhookSender


def subscribe(subs: Subscriptions, sender: WebhookSender) -> Subscriptions:
    """Trigger fan-out on every trigger event type, and the durable runner on run requests."""

    def trigger(session: Session, event: Delivered) -> None:
        service.on_event(session, event)

    for event_type in sorted(set(TRIGGERS.values())):
        subs.subscribe(event_type, "workflows.trigger", trigger)

    def run(session: Session, event: Delivered) -> None:
        service.execute_run(session, run_id=uuid.UUID(event.payload["run_id"]), sender=sender)

    subs.subscribe("workflows.run_requested", "workflows.runner", run)
    return subs
