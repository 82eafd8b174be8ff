"""Per-contact scores from a port, kept as a column aligned with the contact frame.

Why: a port may hold scores for hundreds of thousands of contacts (the trust index of every automated
contact); reading them and mapping them onto the frame's ids costs seconds, while the overview asks for them on
every request. A port that says when its figures change (`version`) is read once per change and aligned once
per frame; queries then slice the aligned column like any other. The version is checked at most every
`min_reload_s`; a changed version is re-read in a background thread while queries keep the previous column
(the same lag rule as the frame itself), so only the first read of an organisation blocks.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from cxops.domains.analytics.config import AnalyticsConfig
from cxops.domains.analytics.ports import VersionedScores

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScoreColumn:
    """One port's scores: by contact id (32 hex digits), and aligned with one frame (NaN: no score)."""

    frame: pd.DataFrame
    version: str
    by_id: pd.Series
    values: np.ndarray
    checked_at: float


def align(frame: pd.DataFrame, by_id: pd.Series) -> np.ndarray:
    """The scores in frame row order; NaN where a contact has none."""
    if by_id.empty or frame.empty:
        return np.full(len(frame), np.nan)
    return by_id.reindex(frame["id"].to_numpy()).to_numpy(dtype=np.float64)


def _series(scores: Any) -> pd.Series:
    keys = [k.hex for k in scores]
    return pd.Series(np.fromiter(scores.values(), dtype=np.float64, count=len(keys)), index=keys, dtype=np.float64)


class ScoreColumns:
    """Aligned score columns by (organisation, port name); thread-safe, one reader at a time per column."""

    def __init__(self, config: AnalyticsConfig) -> None:
        self.config = config
        self._columns: dict[tuple[uuid.UUID, str], ScoreColumn] = {}
        self._locks: dict[tuple[uuid.UUID, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: tuple[uuid.UUID, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(
        self, session: Session, *, org_id: uuid.UUID, name: str, port: VersionedScores, frame: pd.DataFrame
    ) -> np.ndarray:
        """The port's scores aligned with `frame` (re-read when the port's version changed)."""
        key = (org_id, name)
        column = self._columns.get(key)
        if column is None:
            with self._lock(key):
                column = self._columns.get(key)
                if column is None:
                    column = self._read(session, org_id, port, frame)
                    self._columns[key] = column
        if time.monotonic() - column.checked_at >= self.config.min_reload_s:
            seen = column
            version = port.version(session, org_id=org_id)
            if version != column.version and not self.config.background_reload:
                column = self._read(session, org_id, port, frame)
            else:
                if version != column.version:
                    self._read_later(session.get_bind(), key, port, frame)
                column = replace(column, checked_at=time.monotonic())
            self._swap(key, seen, column)
        if column.frame is not frame:  # the frame was reloaded: align the scores we have with it
            seen, column = column, replace(column, frame=frame, values=align(frame, column.by_id))
            self._swap(key, seen, column)
        return column.values

    def _swap(self, key: tuple[uuid.UUID, str], seen: ScoreColumn, new: ScoreColumn) -> None:
        """Store `new` unless a background read replaced `seen` meanwhile (its column is newer)."""
        with self._guard:
            if self._columns.get(key) is seen:
                self._columns[key] = new

    def _read(self, session: Session, org_id: uuid.UUID, port: VersionedScores, frame: pd.DataFrame) -> ScoreColumn:
        version = port.version(session, org_id=org_id)
        since = datetime.fromtimestamp(int(frame["ts"].iloc[0]) if len(frame) else 0, UTC)
        until = datetime.fromtimestamp(int(frame["ts"].iloc[-1]) + 1 if len(frame) else 1, UTC)
        by_id = _series(port.scores(session, org_id=org_id, since=since, until=until))
        return ScoreColumn(frame, version, by_id, align(frame, by_id), time.monotonic())

    def _read_later(self, bind: Any, key: tuple[uuid.UUID, str], port: VersionedScores, frame: pd.DataFrame) -> None:
        lock = self._lock(key)
        if not lock.acquire(blocking=False):
            return  # a read is already running

        def work() -> None:
            try:
                with Session(bind=bind) as session:
                    self._columns[key] = self._read(session, key[0], port, frame)
            except Exception:
                log.exception("analytics score column reload failed")
            finally:
                lock.release()

        threading.Thread(target=work, name="cxops-analytics-scores", daemon=True).start()

    def invalidate(self, org_id: uuid.UUID | None = None) -> None:
        """Forget one organisation's columns (or all)."""
        for key in list(self._columns):
            if org_id is None or key[0] == org_id:
                self._columns.pop(key, None)
