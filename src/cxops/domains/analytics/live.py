"""In-process change notifications for the live view: event consumers bump, SSE streams wait."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

from sqlalchemy.orm import Session

from cxops.core.events import Delivered


class LiveHub:
    """A change counter per organisation; cheap to bump from any thread, awaited by stream handlers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[uuid.UUID, int] = {}
        self._changed_at: dict[uuid.UUID, float] = {}

    def bump(self, org_id: uuid.UUID) -> int:
        """Record a change for the organisation; returns its new version."""
        with self._lock:
            version = self._versions.get(org_id, 0) + 1
            self._versions[org_id] = version
            self._changed_at[org_id] = time.monotonic()
            return version

    def version(self, org_id: uuid.UUID) -> int:
        with self._lock:
            return self._versions.get(org_id, 0)

    async def wait_change(self, org_id: uuid.UUID, seen: int, timeout_s: float, poll_s: float = 0.05) -> bool:
        """Wait until the version differs from `seen` (True) or `timeout_s` passes (False)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.version(org_id) != seen:
                return True
            await asyncio.sleep(poll_s)
        return self.version(org_id) != seen


HUB = LiveHub()


def on_contacts_changed(_session: Session, event: Delivered) -> None:
    """Consumer of 'interactions.ended' and 'agents.states_recorded': wake the organisation's live streams."""
    HUB.bump(event.org_id)
