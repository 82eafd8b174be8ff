"""The per-organisation contact frame, kept in memory and reloaded when new contacts were ingested.

Why in memory: an aggregate over a year of contacts is a full scan (514 ms per million rows in SQLite); the
frame is loaded once (columnar, pandas) and each query slices and groups it in tens of milliseconds. The
outbox's newest 'interactions.ended' event id is the change watermark: a query that sees a new watermark
reloads, at most once per `min_reload_s`. With `background_reload` (the default) the reload runs in a
thread while queries keep answering from the previous frame, so only the very first load blocks; the
historical view then lags ingestion by up to `min_reload_s` plus one load. The live view is pushed
separately and never lags.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from cxops.core.clock import utcnow
from cxops.core.errors import ServiceUnavailable
from cxops.domains.analytics import repository
from cxops.domains.analytics.compute.metrics import build_frame
from cxops.domains.analytics.config import AnalyticsConfig
from cxops.domains.analytics.scores import ScoreColumns

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Frame:
    """A loaded frame and how it was loaded."""

    df: pd.DataFrame
    watermark: str | None
    loaded_at: float
    load_ms: float


class FrameCache:
    """Frames by organisation; thread-safe, one loader at a time per organisation."""

    def __init__(self, config: AnalyticsConfig) -> None:
        self.config = config
        self.scores = ScoreColumns(config)
        self._frames: dict[uuid.UUID, Frame] = {}
        self._locks: dict[uuid.UUID, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, org_id: uuid.UUID) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(org_id, threading.Lock())

    def _fresh(self, frame: Frame | None, mark: str | None) -> bool:
        if frame is None:
            return False
        return frame.watermark == mark or time.monotonic() - frame.loaded_at < self.config.min_reload_s

    def get(self, session: Session, org_id: uuid.UUID) -> Frame:
        """The organisation's frame, reloaded first if contacts were ingested since it was loaded."""
        mark = repository.watermark(session, org_id)
        frame = self._frames.get(org_id)
        if self._fresh(frame, mark):
            assert frame is not None
            return frame
        if frame is not None and self.config.background_reload:
            self._refresh_later(session.get_bind(), org_id, mark)
            return frame
        with self._lock(org_id):
            frame = self._frames.get(org_id)
            if self._fresh(frame, mark):
                assert frame is not None
                return frame
            frame = self._load(session, org_id, mark)
            self._frames[org_id] = frame
            return frame

    def _refresh_later(self, bind: Any, org_id: uuid.UUID, mark: str | None) -> None:
        lock = self._lock(org_id)
        if not lock.acquire(blocking=False):
            return  # a load is already running

        def work() -> None:
            try:
                with Session(bind=bind) as session:
                    self._frames[org_id] = self._load(session, org_id, mark)
            except Exception:
                log.exception("analytics frame reload failed")
            finally:
                lock.release()

        threading.Thread(target=work, name="cxops-analytics-reload", daemon=True).start()

    def _load(self, session: Session, org_id: uuid.UUID, mark: str | None) -> Frame:
        started = time.perf_counter()
        cap = self.config.max_frame_rows
        repository.bound_statement(session, self.config.statement_timeout_ms)
        since = utcnow() - timedelta(days=self.config.history_days)
        rows = repository.contact_rows(session, org_id, since=since, limit=cap + 1)
        if len(rows) > cap:
            raise ServiceUnavailable(
                f"more than {cap} contacts in the last {self.config.history_days} days: lower "
                "CXOPS_ANALYTICS_HISTORY_DAYS or raise CXOPS_ANALYTICS_MAX_FRAME_ROWS"
            )
        df = build_frame(rows, repository.directory_maps(session, org_id))
        return Frame(df, mark, time.monotonic(), round((time.perf_counter() - started) * 1000, 1))

    def frames(self) -> dict[uuid.UUID, Frame]:
        """The frames loaded now, by organisation (for diagnostics and benchmarks)."""
        return dict(self._frames)

    def invalidate(self, org_id: uuid.UUID | None = None) -> None:
        """Forget one organisation's frame (or all)."""
        if org_id is None:
            self._frames.clear()
        else:
            self._frames.pop(org_id, None)
        self.scores.invalidate(org_id)
