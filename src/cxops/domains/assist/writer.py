"""Batched writer: turns, alerts and the knowledge articles of live interactions go to the database off the hot path.

One thread collects rows and writes them every `interval_s` (or sooner when many are pending) in one
transaction with insert-ignore on (interaction_id, seq), so the response to a segment never waits for a
commit and a retried flush never duplicates a turn. Article rows (assist_live_article) are inserted the same
way on their primary key; those queued with `on_written` (a `used` frame, acknowledged only once stored) wake
the writer at once and are told whether their batch committed. `flush()` blocks until everything queued so far
is committed (used before an interaction is ended).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.db import unit_of_work
from cxops.core.repository import insert_ignore
from cxops.domains.assist.models import AssistAlert, AssistLiveArticle
from cxops.domains.assist.ports import TextRedactor
from cxops.domains.interactions.public import append_turns

log = logging.getLogger("cxops.assist.writer")
ARTICLE_KEY = ("interaction_id", "kind", "article_id")


class TurnWriter:
    """Queues turn and alert rows; a daemon thread writes them in batches."""

    def __init__(
        self, factory: sessionmaker[Session], redactor: TextRedactor | None = None, *, interval_s: float = 0.05
    ) -> None:
        self._factory = factory
        self._redactor = redactor
        self._interval = interval_s
        self._cond = threading.Condition()
        self._turns: list[dict[str, Any]] = []
        self._alerts: list[dict[str, Any]] = []
        self._articles: list[dict[str, Any]] = []
        self._callbacks: list[Callable[[bool], None]] = []
        self._urgent = False  # someone waits for a row queued since the last batch: write it now
        self._queued = 0  # rows ever queued
        self._written = 0  # rows ever written (or given up on)
        self._stop = False
        self._thread: threading.Thread | None = None
        self.failures = 0

    def start(self) -> None:
        with self._cond:
            if self._thread is None:
                self._stop = False
                self._thread = threading.Thread(target=self._run, name="assist-writer", daemon=True)
                self._thread.start()

    def add_turn(self, row: dict[str, Any]) -> None:
        with self._cond:
            self._turns.append(row)
            self._queued += 1
            if len(self._turns) >= 500:
                self._cond.notify_all()

    def add_alert(self, row: dict[str, Any]) -> None:
        with self._cond:
            self._alerts.append(row)
            self._queued += 1

    def add_articles(self, rows: list[dict[str, Any]], on_written: Callable[[bool], None] | None = None) -> None:
        """Queue assist_live_article rows; `on_written(committed)` is called from the writer thread once the batch
        holding them is committed (True) or given up on (False), and then the batch is written at once."""
        with self._cond:
            self._articles.extend(rows)
            self._queued += len(rows)
            if on_written is not None:
                self._callbacks.append(on_written)
                self._urgent = True
                self._cond.notify_all()

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every row queued before this call is written; False on timeout."""
        with self._cond:
            target = self._queued
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._written >= target or self._thread is None, timeout_s)

    def stop(self) -> None:
        self.flush()
        with self._cond:
            self._stop = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stop or self._urgent or len(self._turns) >= 500, self._interval)
                turns, alerts, articles, callbacks = self._turns, self._alerts, self._articles, self._callbacks
                self._turns, self._alerts, self._articles, self._callbacks = [], [], [], []
                self._urgent = False
                stopping = self._stop
            if turns or alerts or articles or callbacks:
                committed = self._write(turns, alerts, articles)
                for callback in callbacks:
                    try:
                        callback(committed)
                    except Exception as exc:  # a waiter's bug must not stop the writer
                        log.error("assist write callback failed", extra={"exc_type": type(exc).__name__})
                with self._cond:
                    self._written += len(turns) + len(alerts) + len(articles)
                    self._cond.notify_all()
            if stopping:
                return

    def _write(self, turns: list[dict[str, Any]], alerts: list[dict[str, Any]], articles: list[dict[str, Any]]) -> bool:
        """Write one batch in one transaction (three attempts); True once committed."""
        if self._redactor is not None:
            for row in turns:
                row["text"] = self._redactor.redact(row["text"])
        for attempt in range(3):
            try:
                with unit_of_work(self._factory) as session:
                    append_turns(session, turns)
                    if alerts:
                        session.execute(insert(AssistAlert), alerts)
                    insert_ignore(session, AssistLiveArticle, articles, ARTICLE_KEY)
                return True
            except Exception as exc:  # keep the thread alive; a retry is safe (insert-ignore)
                log.warning("assist write failed", extra={"attempt": attempt + 1, "exc_type": type(exc).__name__})
        self.failures += 1
        return False
