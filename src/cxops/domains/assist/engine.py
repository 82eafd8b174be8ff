"""The assist engine of one process: live calls, their inference, supervisor streams.

Segments accepted on the event loop (VADER runs there, ~30 us) are queued; at the next loop tick a batcher task
submits the customer segments to the inference (inference.py: encoder, intent model and a knowledge search per
segment with its vector), which runs in processes of its own on servers and in a thread in tests, and answers
each segment as soon as it is ready. Answers are applied on the loop per call in seq order and pushed to the
agent desktop through a bounded send queue; turns go to the batched writer. Supervisor boards get the frames of
this process's calls directly and, through the BoardRelay port (NATS between API processes), those of the
calls other processes hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.clock import utcnow
from cxops.core.ids import new_id
from cxops.domains.assist.compute import sentiment
from cxops.domains.assist.compute.compliance import Rulebook
from cxops.domains.assist.compute.frames import FrameError, SegmentFrame
from cxops.domains.assist.compute.guides import GuideBook
from cxops.domains.assist.inference import (
    Inference,
    InProcess,
    Request,
    Understanding,
    Understood,
)
from cxops.domains.assist.live import Inferred, LiveCall
from cxops.domains.assist.ports import AssistPorts, BoardRelay
from cxops.domains.assist.writer import TurnWriter

log = logging.getLogger("cxops.assist")
RULES = Path(__file__).parent / "rules"
STAGES = (
    "parse",
    "queue",
    "inference",
    "intent",
    "sentiment",
    "retrieval",
    "trust",
    "total",
    "intent_encode",
    "intent_classify",
)
STAGE_SECONDS = Histogram(
    "cxops_assist_stage_seconds",
    "Real-time assist time per segment and stage",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
SEGMENTS = Counter("cxops_assist_segments_total", "Segments accepted by real-time assist")
FRAME_ERRORS = Counter("cxops_assist_frame_errors_total", "Frames refused by real-time assist", ["code"])
DROPPED = Counter("cxops_assist_dropped_connections_total", "Connections dropped as slow consumers", ["kind"])
LIVE_CALLS = Gauge("cxops_assist_live_calls", "Live interactions with assist state in this process")
BATCH_SIZE = Histogram("cxops_assist_batch_size", "Texts per encoder call", buckets=(1, 2, 4, 8, 16, 32, 64))
CACHE = Counter(
    "cxops_assist_text_cache_total", "Customer texts found in (hit) or added to (miss) the cache", ["result"]
)
TRUST_REFRESH_S = 60.0
ABANDONED_S = 3600.0
HEARTBEAT_S = 5.0
REMOTE_TTL_S = 3 * HEARTBEAT_S
REMOTE_ALERTS = 200


@dataclass
class AssistConfig:
    """Limits and thresholds of the engine (from settings)."""

    data_dir: Path
    max_frame_bytes: int = 16_384
    send_queue: int = 256  # frames; well above a burst of answers so a burst is not taken for a stall
    silence_s: float = 30.0
    suggestions: int = 3


def _article_row(call: LiveCall, kind: str, article_id: str, position: int) -> dict[str, Any]:
    """An assist_live_article row (`article_id` None when the id is not a UUID: such a row is not stored)."""
    try:
        article: uuid.UUID | None = uuid.UUID(article_id)
    except ValueError:
        article = None
    return {"interaction_id": call.id, "kind": kind, "article_id": article, "org_id": call.info.org_id,
            "position": position, "recorded_at": utcnow()}  # fmt: skip


def _settle(future: asyncio.Future[bool], result: bool) -> None:
    if not future.done():  # its waiter may have timed out
        future.set_result(result)


class Outbox:
    """A bounded queue of frames for one WebSocket; the owner's sender task drains it.

    `offer` never blocks: when the queue is full the consumer is too slow, `overflowed` is set and
    `on_overflow` runs once (the connection is then closed with reason `slow_consumer`).
    """

    def __init__(self, size: int, on_overflow: Callable[[], None]) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=size)
        self.overflowed = False
        self._on_overflow = on_overflow

    def offer(self, frame: dict[str, Any]) -> bool:
        if self.overflowed:
            return False
        try:
            self.queue.put_nowait(frame)
            return True
        except asyncio.QueueFull:
            self.overflowed = True
            self._on_overflow()
            return False


@dataclass
class Job:
    call: LiveCall
    seg: SegmentFrame
    received: float
    parse_s: float
    score: float
    sentiment_s: float
    queued: float = field(default_factory=time.perf_counter)


@dataclass
class Subscriber:
    """A supervisor stream: the organisation, an optional team filter, and its outbox."""

    org_id: uuid.UUID
    team_id: uuid.UUID | None
    outbox: Outbox

    def wants(self, org_id: uuid.UUID, team_id: uuid.UUID | None) -> bool:
        return org_id == self.org_id and (self.team_id is None or team_id == self.team_id)


@dataclass
class RemoteCall:
    """The board state of a live call held by another API process, as last heard through the relay."""

    org_id: uuid.UUID
    team_id: uuid.UUID | None
    state: dict[str, Any]
    seen: float


class AssistEngine:
    """Live calls, inference and supervisor fan-out of one process (see the module docstring)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        ports: AssistPorts,
        config: AssistConfig,
        inference: Inference | None = None,
        relay: BoardRelay | None = None,
    ) -> None:
        self.factory = factory
        self.ports = ports
        self.config = config
        self.guides = GuideBook.from_yaml((RULES / "guides.yaml").read_text(encoding="utf-8"))
        self.rules = Rulebook.from_yaml((RULES / "compliance.yaml").read_text(encoding="utf-8"))
        self.calls: dict[uuid.UUID, LiveCall] = {}
        self.desktops: dict[uuid.UUID, Outbox] = {}
        self.subscribers: list[Subscriber] = []
        self.writer = TurnWriter(factory, ports.redactor)
        # default: a thread of this process, reading the ports when the first batch comes (tests may swap them)
        self.inference: Inference = inference or InProcess(
            lambda: Understanding(factory, ports.encoder, ports.intent_model, config.data_dir, config.suggestions)
        )
        # boards see the live calls of every API process: their frames cross processes through the relay
        self.relay = relay
        self.origin = uuid.uuid4().hex
        self.remote: dict[str, RemoteCall] = {}
        self.remote_alerts: deque[tuple[uuid.UUID, uuid.UUID | None, dict[str, Any]]] = deque(maxlen=REMOTE_ALERTS)
        self._pending: list[Job] = []
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def ensure_started(self) -> None:
        """Start the batcher and the board ticker on the running loop (first connection)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        self._loop = loop
        self._wake = asyncio.Event()
        self.writer.start()
        if self.relay is not None:
            self.relay.open(partial(self._heard, loop))
        self._tasks = [loop.create_task(t) for t in (self._warm_up(), self._batcher(), self._ticker())]

    async def _warm_up(self) -> None:
        """Start the inference (its processes, model and encoder) when the engine starts (at server start-up in
        process mode, else at the first connection), not at the first segment."""
        try:
            await self.inference.warm_up()
        except Exception as exc:  # the first batch will say "assist unavailable" and try again
            log.error("assist inference warm-up failed", extra={"exc_type": type(exc).__name__})

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self._loop = None
        await asyncio.to_thread(self.writer.stop)
        if self.relay is not None:
            await asyncio.to_thread(self.relay.close)
        await self.inference.aclose()

    # --- segments ----------------------------------------------------------------------------------------------

    def accept(self, call: LiveCall, seg: SegmentFrame, received: float, parse_s: float) -> None:
        """Check the seq, queue the turn for storage and the segment for inference; FrameError when refused."""
        if call.ended:
            raise FrameError("interaction_ended", f"interaction {call.id} has ended; segment not stored", seg.seq)
        if seg.seq in call.seqs:
            raise FrameError("duplicate_seq", f"seq {seg.seq} was already received; stored once, ignored", seg.seq)
        if seg.seq < call.last_seq:
            raise FrameError(
                "out_of_order_seq",
                f"seq {seg.seq} arrived after seq {call.last_seq}; segments must be sent in increasing seq order",
                seg.seq,
            )
        call.seqs.add(seg.seq)
        call.last_seq = seg.seq
        call.last_activity = time.monotonic()
        t0 = time.perf_counter()
        score = sentiment.score(seg.text)  # VADER (~30 us) here, so the stored turn carries its sentiment
        sentiment_s = time.perf_counter() - t0
        speaker_agent = call.info.agent_id if seg.speaker != "customer" else None
        self.writer.add_turn({
            "interaction_id": call.id, "seq": seg.seq, "speaker": seg.speaker, "offset_ms": seg.begin_ms,
            "end_offset_ms": seg.end_ms, "text": seg.text, "agent_id": speaker_agent,
            "sentiment": score if seg.speaker == "customer" else None,
        })  # fmt: skip
        SEGMENTS.inc()
        self._pending.append(Job(call, seg, received, parse_s, score, sentiment_s))
        if self._wake is not None:
            self._wake.set()

    async def _batcher(self) -> None:
        """Everything accepted since the last loop tick is submitted at once (no waiting for earlier answers)."""
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            jobs, self._pending = self._pending, []
            try:
                self._submit(jobs)
            except Exception as exc:  # a bug, not bad input: log it and keep serving the other calls
                log.error("assist batch failed", extra={"exc_type": type(exc).__name__})

    def _submit(self, jobs: list[Job]) -> None:
        customer = [j for j in jobs if j.seg.speaker == "customer"]
        submitted = time.perf_counter()
        try:
            futures = iter(self.inference.submit([self._request(j) for j in customer]) if customer else [])
        except Exception as exc:  # the inference process cannot even be started
            log.error("assist inference failed", extra={"exc_type": type(exc).__name__})
            futures = iter([])
        for job in jobs:
            fut = next(futures, None) if job.seg.speaker == "customer" else None
            job.call.answers.append((job, fut, submitted))
            if fut is None:
                self._answer(job.call)
            else:
                fut.add_done_callback(partial(self._answered, job.call))

    @staticmethod
    def _request(job: Job) -> Request:
        return Request(job.seg.text, job.call.info.org_id, job.call.access, job.call.id)

    async def settle(self, call: LiveCall, timeout_s: float) -> None:
        """Wait until every segment of the call accepted so far has been answered (or `timeout_s` passed), so an
        interaction's `ended` frame never overtakes the answers to its last segments."""
        if self._pending:  # accepted in this loop tick, not yet submitted by the batcher: submit them now
            jobs, self._pending = self._pending, []
            self._submit(jobs)
        pending = [fut for _, fut, _ in call.answers if fut is not None and not fut.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout_s)
            await asyncio.sleep(0)  # the done-callbacks that answer them run on the next loop iteration

    def _answered(self, call: LiveCall, _: asyncio.Future[Understood]) -> None:
        self._answer(call)

    def _answer(self, call: LiveCall) -> None:
        """Answer the call's segments whose inference is done, in seq order (a later segment whose answer is ready
        waits for the earlier ones of the same call, never for other calls)."""
        while call.answers:
            job, fut, submitted = call.answers[0]
            if fut is not None and not fut.done():
                return
            call.answers.popleft()
            item, note = Understood(), None
            if job.seg.speaker == "customer":
                if fut is None or fut.cancelled() or fut.exception() is not None:
                    # the engine survives a failing adapter or a lost inference process; the turn is stored anyway
                    exc = fut.exception() if fut is not None and not fut.cancelled() else None
                    log.warning("assist inference unavailable", extra={"exc_type": type(exc).__name__})
                    note = "assist unavailable"
                else:
                    item = fut.result()
                    CACHE.labels(result="hit" if item.cached else "miss").inc()
            if item.encode_s is not None and item.classify_s is not None:
                # the two halves of the intent stage, per encoder call, so an operator sees which one a budget goes to
                STAGE_SECONDS.labels(stage="intent_encode").observe(item.encode_s)
                STAGE_SECONDS.labels(stage="intent_classify").observe(item.classify_s)
                BATCH_SIZE.observe(item.encoded)
            timings = {"queue": submitted - job.queued, "inference": time.perf_counter() - submitted,
                       "intent": item.intent_s, "sentiment": job.sentiment_s,
                       "retrieval": item.retrieval_s}  # fmt: skip
            inferred = Inferred(item.prediction, job.score, item.suggestions, timings, item.group, note or item.note)
            self._finish(job, inferred)

    def _finish(self, job: Job, inf: Inferred) -> None:
        call = job.call
        t0 = time.perf_counter()
        self._maybe_refresh_trust(call)
        trust_s = time.perf_counter() - t0
        body, alerts = call.apply(
            job.seg, inf, guides=self.guides, rules=self.rules, silence_ms=int(self.config.silence_s * 1000)
        )
        for alert in alerts:
            self._record_alert(call, alert)
        total = time.perf_counter() - job.received
        stages = {"parse": job.parse_s, **inf.timings, "trust": trust_s, "total": total}
        for name, value in stages.items():
            STAGE_SECONDS.labels(stage=name).observe(value)
        body["timings_ms"] = {k: round(v * 1000, 3) for k, v in stages.items()}
        body["batch"] = inf.batch
        outbox = self.desktops.get(call.id)
        if outbox is not None and outbox.offer(body):
            self._note_shown(call, inf.suggestions)  # for the knowledge attributions at the end of the call

    # --- knowledge articles shown and used (stored, so a call resumed elsewhere keeps them) -------------------

    def _note_shown(self, call: LiveCall, suggestions: list[dict[str, Any]]) -> None:
        """Remember the articles newly shown to the call's desk and queue their rows (committed within ~50 ms,
        like turns; before any `used` frame naming them can be handled)."""
        added = call.note_shown(suggestions)
        if added:
            start = len(call.shown) - len(added)
            rows = [_article_row(call, "shown", a, start + i) for i, a in enumerate(added)]
            self.writer.add_articles([row for row in rows if row["article_id"] is not None])

    async def record_used(self, call: LiveCall, article_id: str, timeout_s: float) -> bool:
        """Mark a shown article used (FrameError `unknown_suggestion` if it was not shown) and wait, off the loop,
        until its row is committed; True once it is, False when the database did not take it within `timeout_s`.

        Its shown row is written again with it (insert-ignore) so the stored used articles are always shown ones;
        a resend writes nothing new. The writer is woken at once, so this waits for one commit, not 50 ms."""
        call.mark_used(article_id)
        rows = [_article_row(call, "shown", article_id, list(call.shown).index(article_id)),
                _article_row(call, "used", article_id, list(call.used).index(article_id))]  # fmt: skip
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()

        def written(committed: bool) -> None:  # writer thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: the process is stopping
                loop.call_soon_threadsafe(_settle, done, committed)

        self.writer.add_articles(rows, written)
        try:
            async with asyncio.timeout(timeout_s):
                return await done
        except TimeoutError:
            return False

    # --- trust -------------------------------------------------------------------------------------------------

    def _maybe_refresh_trust(self, call: LiveCall) -> None:
        if self.ports.trust is None or call.info.customer_id is None:
            return
        if time.monotonic() - call.trust_at > TRUST_REFRESH_S and self._loop is not None:
            call.trust_at = time.monotonic()
            self._loop.create_task(self.load_trust(call))

    async def load_trust(self, call: LiveCall) -> None:
        """Fetch the customer's routing advice and consented memory off the loop (not the inference thread)."""
        if self.ports.trust is None or call.info.customer_id is None:
            return
        lookup, customer = self.ports.trust, call.info.customer_id

        def fetch() -> dict[str, Any] | None:
            with self.factory() as session:
                return lookup(session, org_id=call.info.org_id, customer_id=customer)

        call.trust_at = time.monotonic()
        try:
            call.trust = await asyncio.to_thread(fetch)
        except Exception as exc:
            log.warning("assist trust lookup failed", extra={"exc_type": type(exc).__name__})

    # --- alerts and the supervisor board -----------------------------------------------------------------------

    def _record_alert(self, call: LiveCall, alert: dict[str, Any]) -> None:
        alert = {**alert, "interaction_id": str(call.id), "agent": call.agent_code, "raised_at": utcnow().isoformat()}
        call.alert_log.append(alert)
        self.writer.add_alert({
            "id": new_id(), "org_id": call.info.org_id, "interaction_id": call.id, "team_id": call.info.team_id,
            "kind": alert["kind"], "severity": alert["severity"], "message": alert["message"][:500],
            "seq": alert["seq"], "detail": alert["detail"], "raised_at": utcnow(),
        })  # fmt: skip
        self.broadcast(call, {"type": "alert", "alert": alert})

    def broadcast(self, call: LiveCall, frame: dict[str, Any]) -> None:
        """To this process's boards that want the call, and through the relay to the other processes' boards."""
        self._offer(call.info.org_id, call.info.team_id, frame)
        if self.relay is not None:
            self.relay.publish(self._envelope(call, frame))

    def _offer(self, org_id: uuid.UUID, team_id: uuid.UUID | None, frame: dict[str, Any]) -> None:
        for sub in list(self.subscribers):
            if sub.wants(org_id, team_id):
                sub.outbox.offer(frame)

    def _envelope(self, call: LiveCall, frame: dict[str, Any]) -> dict[str, Any]:
        team = call.info.team_id
        return {"origin": self.origin, "org_id": str(call.info.org_id), "team_id": str(team) if team else None,
                "frame": frame}  # fmt: skip

    def _heard(self, loop: asyncio.AbstractEventLoop, envelope: dict[str, Any]) -> None:
        """The relay's callback (any thread): handled on the engine's loop."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is stopping
            loop.call_soon_threadsafe(self._remote, envelope)

    def _remote(self, envelope: dict[str, Any]) -> None:
        """A board frame of another process: remember its calls' state for snapshots, pass it to the boards."""
        if envelope.get("origin") == self.origin:
            return
        try:
            org_id = uuid.UUID(envelope["org_id"])
            team_id = uuid.UUID(envelope["team_id"]) if envelope.get("team_id") else None
            frame = envelope["frame"]
            kind = frame["type"]
            if kind == "call":
                state = frame["call"]
                self.remote[state["interaction_id"]] = RemoteCall(org_id, team_id, state, time.monotonic())
            elif kind == "ended":
                self.remote.pop(frame["interaction_id"], None)
            elif kind == "alert":
                self.remote_alerts.append((org_id, team_id, frame["alert"]))
            else:
                raise ValueError(kind)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("board relay: a malformed frame was ignored")
            return
        self._offer(org_id, team_id, frame)

    def live(self, wants: Callable[[uuid.UUID, uuid.UUID | None], bool]) -> tuple[list[LiveCall], list[RemoteCall]]:
        """The live calls `wants(org_id, team_id)` selects: this process's, and those other processes announce
        through the relay (a call also held here is taken from here)."""
        calls = [c for c in self.calls.values() if not c.ended and wants(c.info.org_id, c.info.team_id)]
        held = {str(c.id) for c in calls}
        return calls, [r for k, r in self.remote.items() if k not in held and wants(r.org_id, r.team_id)]

    def snapshot(self, sub: Subscriber) -> dict[str, Any]:
        """The board's first frame: the live calls of every process it wants, and their latest alerts."""
        calls, remote = self.live(sub.wants)
        alerts = [a for c in calls for a in c.alert_log]
        alerts += [a for org, team, a in self.remote_alerts if sub.wants(org, team)]
        alerts.sort(key=lambda a: a.get("raised_at", ""))
        return {"type": "snapshot", "calls": [c.board_state() for c in calls] + [r.state for r in remote],
                "alerts": alerts[-50:]}  # fmt: skip

    async def _ticker(self) -> None:
        """Every half second: changed calls to the boards; every second: wall-clock silence checks; with a relay,
        every HEARTBEAT_S the state of every live call to the other processes (a board that connects there sees
        it within that time, and a call whose process died leaves their boards after REMOTE_TTL_S)."""
        tick = 0
        while True:
            await asyncio.sleep(0.5)
            tick += 1
            LIVE_CALLS.set(sum(1 for c in self.calls.values() if not c.ended))
            heartbeat = self.relay is not None and tick % int(HEARTBEAT_S * 2) == 0
            if heartbeat:
                self._expire_remote()
            for call in list(self.calls.values()):
                if call.ended:
                    continue
                if tick % 2 == 0:
                    for alert in call.alerts.on_idle(time.monotonic() - call.last_activity, self.config.silence_s):
                        self._record_alert(call, alert)
                if call.id not in self.desktops and time.monotonic() - call.last_activity > ABANDONED_S:
                    self.forget(call)  # no desktop and no speech for an hour: stop tracking (the row stays open)
                    continue
                if call.dirty and (self.subscribers or self.relay is not None):
                    call.dirty = False
                    self.broadcast(call, {"type": "call", "call": call.board_state()})
                elif heartbeat and self.relay is not None and call.id in self.desktops:
                    # only calls whose desktop is here: a desktop that reconnected to another process resumed
                    # the call there, and that process announces it
                    self.relay.publish(self._envelope(call, {"type": "call", "call": call.board_state()}))

    def _expire_remote(self) -> None:
        """Forget remote calls not heard of for REMOTE_TTL_S (their process stopped): they leave the boards."""
        now = time.monotonic()
        for key, remote in list(self.remote.items()):
            if now - remote.seen > REMOTE_TTL_S:
                del self.remote[key]
                self._offer(remote.org_id, remote.team_id, {"type": "ended", "interaction_id": key})

    def forget(self, call: LiveCall) -> None:
        """Drop an ended call's state (its turns are flushed by then)."""
        self.calls.pop(call.id, None)
        self.broadcast(call, {"type": "ended", "interaction_id": str(call.id)})
