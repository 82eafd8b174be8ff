"""Operational alerts published as events (workflows react to them): service level breached, emerging topic."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.contracts.events import EmergingTopic, ServiceLevelBreached
from cxops.core.clock import utcnow
from cxops.core.events import Delivered, emit
from cxops.core.models import OutboxEvent
from cxops.domains.analytics.learning import topics
from cxops.domains.analytics.views import LIVE_WINDOW, live_snapshot
from cxops.domains.directory.public import Queue

MIN_CONTACTS = 10
TOPIC_SCAN_EVERY_S = 600.0
_scan_lock = threading.Lock()
_last_scan: dict[uuid.UUID, float] = {}


def _announced(session: Session, org_id: uuid.UUID, event_type: str, key: str, value: str, within: timedelta) -> bool:
    """Whether the same alert was already published within `within` (keeps alerts from repeating)."""
    stmt = select(OutboxEvent.id).where(
        OutboxEvent.org_id == org_id,
        OutboxEvent.type == event_type,
        OutboxEvent.created_at >= utcnow() - within,
        OutboxEvent.payload[key].as_string() == value,
    )
    return session.scalars(stmt.limit(1)).first() is not None


def check_service_level(session: Session, event: Delivered) -> None:
    """After new contacts: every queue below its service-level target over the live window raises an alert."""
    snapshot = live_snapshot(session, org_id=event.org_id)
    targets = {
        q.code: q.sl_target_pct / 100 for q in session.scalars(select(Queue).where(Queue.org_id == event.org_id))
    }
    minutes = int(LIVE_WINDOW.total_seconds() // 60)
    for row in snapshot["queues"]:
        target, level = targets.get(row["queue"]), row["service_level"]
        if target is None or level is None or row["contacts"] < MIN_CONTACTS or level >= target:
            continue
        if _announced(session, event.org_id, ServiceLevelBreached.event_type, "queue", row["queue"], LIVE_WINDOW):
            continue
        emit(
            session,
            org_id=event.org_id,
            event=ServiceLevelBreached(
                queue=row["queue"], service_level=level, target=target, contacts=row["contacts"], window_minutes=minutes
            ),
        )


def scan_topics(session: Session, event: Delivered, *, force: bool = False) -> list[dict[str, Any]]:
    """At most every ten minutes per organisation: publish newly emerging topics of the last weeks' contacts."""
    with _scan_lock:
        now = time.monotonic()
        if not force and now - _last_scan.get(event.org_id, -1e9) < TOPIC_SCAN_EVERY_S:
            return []
        _last_scan[event.org_id] = now
    until = utcnow()
    found = topics(
        session,
        org_id=event.org_id,
        since=until - timedelta(days=28),
        until=until,
        k=8,
        max_docs=3000,
        unlabelled_only=False,
    )
    published = []
    for alert in found.get("alerts", []):
        if _announced(session, event.org_id, EmergingTopic.event_type, "label", alert["label"], timedelta(days=1)):
            continue
        detail = {k: v for k, v in alert.items() if isinstance(v, int | float | str) and k not in ("label", "size")}
        emit(
            session,
            org_id=event.org_id,
            event=EmergingTopic(
                label=alert["label"], terms=list(alert["terms"]), size=int(alert["size"]), detail=detail
            ),
        )
        session.flush()  # so a second scan in the same transaction sees it (sessions do not autoflush)
        published.append(alert)
    return published
