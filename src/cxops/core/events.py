"""Domain events through a transactional outbox.

A service calls `emit(session, event)` inside its transaction; the row commits (or rolls back) with the
change it announces. After commit a dispatcher hands each pending event to every subscribed consumer, once:
a consumer's effect and its `EventConsumption` marker commit in one transaction, so a redelivery is a no-op.
The embedded dispatcher runs in-process (SQLite or PostgreSQL); the NATS relay lives in integrations/.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.clock import utcnow
from cxops.core.event_types import DomainEvent
from cxops.core.ids import new_id
from cxops.core.models import EventConsumption, OutboxEvent

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Delivered:
    """What a consumer receives: the event's id, type, organisation and payload."""

    id: uuid.UUID
    type: str
    org_id: uuid.UUID
    payload: dict[str, Any]


Handler = Callable[[Session, Delivered], None]


class EventSink(Protocol):
    """Where committed events go next (the in-process registry, or a NATS relay)."""

    def deliver(self, event: Delivered) -> None: ...


class EventBus(Protocol):
    """The one runtime interface of both modes: the embedded `OutboxDispatcher` and the NATS JetStream bus.

    Both read committed rows of `core_outbox_event` and apply them to the consumers of a `Subscriptions`
    through `apply_once`, so a consumer is written once and runs unchanged in either mode.
    """

    def notify(self) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def emit(session: Session, *, org_id: uuid.UUID, event: DomainEvent) -> uuid.UUID:
    """Record an event in the caller's transaction; it is dispatched only after that commits."""
    row = OutboxEvent(id=new_id(), org_id=org_id, type=event.event_type, payload=event.model_dump(mode="json"))
    session.add(row)
    return row.id


class Subscriptions:
    """Consumers by event type; each consumer has a stable name used for its idempotency markers."""

    def __init__(self) -> None:
        self._by_type: dict[str, list[tuple[str, Handler]]] = defaultdict(list)
        self._local: set[str] = set()

    def subscribe(self, event_type: str, consumer: str, handler: Handler, *, local: bool = False) -> None:
        """Register `handler` as `consumer` for events of `event_type` ('*' for all).

        `local=True` marks a process-local consumer (e.g. waking this process's live streams): with NATS it runs in
        every API process, at most once per process, and never in the workers' durable consumers.
        """
        self._by_type[event_type].append((consumer, handler))
        if local:
            self._local.add(consumer)

    def for_type(self, event_type: str) -> list[tuple[str, Handler]]:
        """Consumers of `event_type`, including those subscribed to every type."""
        return [*self._by_type.get(event_type, []), *self._by_type.get("*", [])]

    def by_consumer(self, *, local: bool = False) -> dict[str, dict[str, Handler]]:
        """Consumer name -> {event type or '*': handler}, durable consumers (or, with local=True, the local ones)."""
        out: dict[str, dict[str, Handler]] = defaultdict(dict)
        for event_type, pairs in self._by_type.items():
            for consumer, handler in pairs:
                if (consumer in self._local) == local:
                    out[consumer][event_type] = handler
        return dict(out)


def handler_for(handlers: dict[str, Handler], event_type: str) -> Handler | None:
    """The handler of one consumer for `event_type` (an exact subscription wins over '*')."""
    return handlers.get(event_type) or handlers.get("*")


def to_delivered(row: OutboxEvent) -> Delivered:
    """The consumer's view of an outbox row."""
    return Delivered(row.id, row.type, row.org_id, row.payload)


def claim_pending(session: Session, limit: int) -> list[Delivered]:
    """Lock up to `limit` unpublished rows for this transaction (SKIP LOCKED on PostgreSQL, so relays share work)."""
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [to_delivered(r) for r in session.scalars(stmt).all()]


def mark_published(session: Session, event_ids: list[uuid.UUID]) -> None:
    """Mark rows as handed over (to the consumers, or acknowledged by the bus)."""
    if event_ids:
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(event_ids)).values(published_at=utcnow()))


def note_error(session: Session, event_id: uuid.UUID, error: str) -> None:
    """Keep the last consumer error on the outbox row, for an operator (used when the bus dead-letters it)."""
    session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(last_error=error[:2000]))


def apply_once(factory: sessionmaker[Session], consumer: str, handler: Handler, event: Delivered) -> bool:
    """Run one consumer on one event exactly once; False if it had already been applied.

    The consumption marker is written after the handler, in the same transaction: a concurrent duplicate still
    fails on the marker's primary key and rolls its effects back, and a handler that reads, then calls out
    (an LLM, a webhook), then writes does not hold SQLite's write lock during the call.
    """
    with factory() as session:
        already = session.get(EventConsumption, (consumer, event.id))
        if already is not None:
            return False
        try:
            handler(session, event)
            session.add(EventConsumption(consumer=consumer, event_id=event.id))
            session.flush()
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
        except BaseException:
            session.rollback()
            raise
    return True


class OutboxDispatcher:
    """Moves committed outbox rows to their consumers, in order, with bounded retries.

    `bulk_types` (e.g. the batches of ended interactions a history import produces, which every analysing consumer
    works through) get a lane of their own when the dispatcher runs in the background: one thread dispatches them,
    another everything else, each in id order. So an approval decision or a tripped breaker is handled within
    seconds while a backlog of history batches drains, and the model work of the bulk lane runs beside the rest.
    Within a lane, every consumer of an event completes before the next event; across lanes there is no order,
    which is also all the NATS bus guarantees (one durable consumer per consumer name). `run_once` without a lane
    dispatches every type in id order (tests, one-shot drains).
    """

    def __init__(
        self, factory: sessionmaker[Session], subscriptions: Subscriptions, *, bulk_types: frozenset[str] = frozenset()
    ) -> None:
        self._factory = factory
        self._subs = subscriptions
        self._bulk = bulk_types
        self._wakes: list[threading.Event] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def subscriptions(self) -> Subscriptions:
        return self._subs

    @property
    def lanes(self) -> list[str]:
        """The names of the running dispatch threads (empty when not started)."""
        return [t.name for t in self._threads if t.is_alive()]

    def notify(self) -> None:
        """Tell the dispatcher that a commit may have produced events."""
        for wake in self._wakes:
            wake.set()

    def run_once(self, limit: int = 200, *, bulk: bool | None = None) -> int:
        """Dispatch up to `limit` pending events (only the bulk types with `bulk=True`, only the others with
        `bulk=False`, all of them with None); returns how many were completed."""
        stmt = select(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        if bulk is not None and self._bulk:
            kinds = sorted(self._bulk)
            stmt = stmt.where(OutboxEvent.type.in_(kinds) if bulk else OutboxEvent.type.not_in(kinds))
        with self._factory() as session:
            rows = session.scalars(stmt.order_by(OutboxEvent.id).limit(limit)).all()
            pending = [to_delivered(r) for r in rows]
        done = 0
        for event in pending:
            error = self._deliver(event)
            with self._factory() as session:
                if error is None:
                    mark_published(session, [event.id])
                    done += 1
                else:
                    self._record_failure(session, event.id, error)
                session.commit()
        return done

    def _deliver(self, event: Delivered) -> str | None:
        for consumer, handler in self._subs.for_type(event.type):
            try:
                apply_once(self._factory, consumer, handler, event)
            except Exception as exc:
                log.warning("consumer failed", extra={"consumer": consumer, "event_type": event.type})
                return f"{consumer}: {type(exc).__name__}: {exc}"[:2000]
        return None

    @staticmethod
    def _record_failure(session: Session, event_id: uuid.UUID, error: str) -> None:
        row = session.get(OutboxEvent, event_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error
        if row.attempts >= MAX_ATTEMPTS:
            # Dead-lettered: kept with its error for an operator; no longer blocks the queue.
            row.published_at = utcnow()
            log.error("event dead-lettered", extra={"event_type": row.type, "attempts": row.attempts})

    def start(self, interval_s: float = 0.5) -> None:
        """Run in daemon threads until stop(): one per lane (see the class docstring)."""
        if self._threads:
            return
        lanes: list[bool | None] = [True, False] if self._bulk else [None]
        for lane in lanes:
            wake = threading.Event()
            self._wakes.append(wake)
            name = {True: "cxops-outbox-bulk", False: "cxops-outbox", None: "cxops-outbox"}[lane]
            thread = threading.Thread(target=self._loop, args=(lane, wake, interval_s), name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def _loop(self, lane: bool | None, wake: threading.Event, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once(bulk=lane) == 0:
                    wake.wait(interval_s)
                    wake.clear()
            except Exception:
                log.exception("dispatcher loop error")
                self._stop.wait(interval_s)

    def stop(self) -> None:
        self._stop.set()
        for wake in self._wakes:
            wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads, self._wakes = [], []
