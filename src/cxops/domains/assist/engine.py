"""The assist engine of one process: live calls, the inference thread with micro-batching, supervisor streams.

Segments accepted on the event loop (VADER runs there, ~30 us) are queued; a batcher task hands everything
queued to ONE inference thread (onnxruntime single-threaded): one encoder call for the batch's customer
segments and the intent model on the same vectors. A second stage searches the knowledge hub with each
segment's vector in its own thread, overlapping the next batch's inference. Results are applied on the loop
in arrival order and pushed to the agent desktop through a bounded send queue; turns go to the batched writer.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.clock import utcnow
from cxops.core.ids import new_id
from cxops.domains.assist.compute import sentiment
from cxops.domains.assist.compute.compliance import Rulebook
from cxops.domains.assist.compute.frames import FrameError, SegmentFrame
from cxops.domains.assist.compute.guides import GuideBook
from cxops.domains.assist.compute.intents import IntentModel, IntentPrediction
from cxops.domains.assist.live import Inferred, LiveCall
from cxops.domains.assist.ports import AssistPorts, Encoder
from cxops.domains.assist.writer import TurnWriter
from cxops.domains.knowledge.public import search

log = logging.getLogger("cxops.assist")
RULES = Path(__file__).parent / "rules"
STAGES = ("parse", "queue", "intent", "sentiment", "retrieval", "trust", "total", "intent_encode", "intent_classify")
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
CACHE_SIZE = 4096
TRUST_REFRESH_S = 60.0
ABANDONED_S = 3600.0
MIN_QUERY_WORDS = 3


@dataclass
class AssistConfig:
    """Limits and thresholds of the engine (from settings)."""

    data_dir: Path
    max_frame_bytes: int = 16_384
    send_queue: int = 256  # frames; above one inference batch (max_batch) so a burst is not taken for a stall
    max_batch: int = 64
    silence_s: float = 30.0
    suggestions: int = 3


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

    def wants(self, call: LiveCall) -> bool:
        return call.info.org_id == self.org_id and (self.team_id is None or call.info.team_id == self.team_id)


class _KnownVector:
    """An Embedder for knowledge search that answers the segment's text with the vector already computed."""

    def __init__(self, base: Encoder, text: str, vector: np.ndarray) -> None:
        self.model_id = base.model_id
        self.dimension = base.dimension
        self._base, self._text, self._vector = base, text, vector

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if list(texts) == [self._text]:
            return self._vector.reshape(1, -1)
        return self._base.encode(texts)


class AssistEngine:
    """Live calls, inference and supervisor fan-out of one process (see the module docstring)."""

    def __init__(self, factory: sessionmaker[Session], ports: AssistPorts, config: AssistConfig) -> None:
        self.factory = factory
        self.ports = ports
        self.config = config
        self.guides = GuideBook.from_yaml((RULES / "guides.yaml").read_text(encoding="utf-8"))
        self.rules = Rulebook.from_yaml((RULES / "compliance.yaml").read_text(encoding="utf-8"))
        self.calls: dict[uuid.UUID, LiveCall] = {}
        self.desktops: dict[uuid.UUID, Outbox] = {}
        self.subscribers: list[Subscriber] = []
        self.writer = TurnWriter(factory, ports.redactor)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-infer")
        self._search_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-search")
        self._stage2: asyncio.Queue[tuple[list[Job], dict[str, Any], float, float]] | None = None
        self._model: IntentModel | None = None
        self._model_loaded = False
        self._cache: OrderedDict[str, tuple[np.ndarray, IntentPrediction | None]] = OrderedDict()
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
        self._stage2 = asyncio.Queue()
        self.writer.start()
        self._tasks = [loop.create_task(t) for t in (self._batcher(), self._retriever(), self._ticker())]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self._loop = None
        await asyncio.to_thread(self.writer.stop)
        for executor in (self._executor, self._search_executor):
            executor.shutdown(wait=False)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-infer")
        self._search_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-search")

    def model(self) -> IntentModel | None:
        """The intent model, loaded once per process on first use (None when none is trained)."""
        if not self._model_loaded:
            self._model = self.ports.intent_model()
            self._model_loaded = True
        return self._model

    async def warm_up(self) -> None:
        """Load the model and run the encoder once in the inference thread (so the first call is not slow)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._warm)

    def _warm(self) -> None:
        model = self.model()
        if self.ports.encoder is not None:
            vec = self.ports.encoder.encode(["hello"])
            if model is not None:
                model.predict(["hello"], vec)

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
        """Stage 1: everything queued since the last call goes to the inference thread as one batch."""
        assert self._wake is not None and self._stage2 is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                jobs = self._pending[: self.config.max_batch]
                del self._pending[: self.config.max_batch]
                start = time.perf_counter()
                texts = [j.seg.text for j in jobs if j.seg.speaker == "customer"]
                try:
                    known = await loop.run_in_executor(self._executor, self._understand, texts) if texts else {}
                except Exception as exc:  # the engine must survive a failing adapter
                    log.error("assist inference failed", extra={"exc_type": type(exc).__name__})
                    known = {}
                self._stage2.put_nowait((jobs, known, start, time.perf_counter() - start))

    async def _retriever(self) -> None:
        """Stage 2: knowledge retrieval of a batch in its own thread (overlapping the next batch's inference),
        then the results are applied in arrival order, so each call sees its segments in order."""
        assert self._stage2 is not None
        loop = asyncio.get_running_loop()
        while True:
            jobs, known, start, intent_s = await self._stage2.get()
            try:
                if any(j.seg.speaker == "customer" for j in jobs):
                    results = await loop.run_in_executor(
                        self._search_executor, self._infer, jobs, known, start, intent_s
                    )
                else:
                    results = self._infer(jobs, known, start, intent_s, search=False)
            except Exception as exc:
                log.error("assist retrieval failed", extra={"exc_type": type(exc).__name__})
                results = [Inferred(None, j.score, [], {}, len(jobs), note="assist unavailable") for j in jobs]
            for job, inf in zip(jobs, results, strict=True):
                self._finish(job, inf)

    def _understand(self, texts: list[str]) -> dict[str, tuple[np.ndarray, IntentPrediction | None]]:
        """Vector and intent of each distinct text: from the LRU cache, else ONE encoder call for all misses.

        Scripted lines repeat across calls ("Can I take your name and postcode?"), so a line is embedded and
        classified once per process while it stays among the CACHE_SIZE most recent distinct texts.
        """
        encoder, model = self.ports.encoder, self.model()
        out: dict[str, tuple[np.ndarray, IntentPrediction | None]] = {}
        misses = []
        for text in dict.fromkeys(texts):
            hit = self._cache.get(text)
            if hit is None:
                misses.append(text)
            else:
                self._cache.move_to_end(text)
                out[text] = hit
        CACHE.labels(result="hit").inc(len(out))
        CACHE.labels(result="miss").inc(len(misses))
        if not misses or encoder is None:
            return out
        t0 = time.perf_counter()
        vectors = encoder.encode(misses)
        t1 = time.perf_counter()
        preds: list[IntentPrediction | None] = list(model.predict(misses, vectors)) if model else [None] * len(misses)
        # the two halves of the intent stage, per batch, so an operator sees which one a budget goes to
        STAGE_SECONDS.labels(stage="intent_encode").observe(t1 - t0)
        STAGE_SECONDS.labels(stage="intent_classify").observe(time.perf_counter() - t1)
        BATCH_SIZE.observe(len(misses))
        for text, vector, pred in zip(misses, vectors, preds, strict=True):
            out[text] = self._cache[text] = (vector, pred)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return out

    def _infer(
        self,
        jobs: list[Job],
        known: dict[str, tuple[np.ndarray, IntentPrediction | None]],
        start: float,
        intent_s: float,
        search: bool = True,
    ) -> list[Inferred]:
        """Retrieval thread: each customer segment is searched in the knowledge hub with its own vector."""
        out = []
        with self.factory() as session:
            for job in jobs:
                t0 = time.perf_counter()
                customer = job.seg.speaker == "customer"
                vector, pred = known.get(job.seg.text, (None, None)) if customer else (None, None)
                suggestions, note = self._retrieve(session, job, vector) if customer and search else ([], None)
                timings = {"queue": start - job.queued, "intent": intent_s, "sentiment": job.sentiment_s,
                           "retrieval": time.perf_counter() - t0}  # fmt: skip
                out.append(Inferred(pred, job.score, suggestions, timings, len(jobs), note))
        return out

    def _retrieve(
        self, session: Session, job: Job, vector: np.ndarray | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        text = job.seg.text
        if len(text.split()) < MIN_QUERY_WORDS:
            return [], None
        embedder = _KnownVector(self.ports.encoder, text, vector) if self.ports.encoder and vector is not None else None
        results, note = search(
            session, org_id=job.call.info.org_id, data_dir=self.config.data_dir, embedder=embedder, query=text,
            access=job.call.access, k=self.config.suggestions,
        )  # fmt: skip
        return [
            {"title": r["citation"]["title"], "section": r["citation"]["section"], "source": r["citation"]["source"],
             "article_id": str(r["citation"]["article_id"]), "confidence": r["confidence"], "text": r["text"][:400]}
            for r in results
        ], note  # fmt: skip

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
        if outbox is not None:
            outbox.offer(body)

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
        for sub in list(self.subscribers):
            if sub.wants(call):
                sub.outbox.offer(frame)

    def snapshot(self, sub: Subscriber) -> dict[str, Any]:
        calls = [c for c in self.calls.values() if sub.wants(c) and not c.ended]
        alerts = [a for c in calls for a in c.alert_log][-50:]
        return {"type": "snapshot", "calls": [c.board_state() for c in calls], "alerts": alerts}

    async def _ticker(self) -> None:
        """Every half second: changed calls to the boards; every second: wall-clock silence checks."""
        tick = 0
        while True:
            await asyncio.sleep(0.5)
            tick += 1
            LIVE_CALLS.set(sum(1 for c in self.calls.values() if not c.ended))
            for call in list(self.calls.values()):
                if call.ended:
                    continue
                if tick % 2 == 0:
                    for alert in call.alerts.on_idle(time.monotonic() - call.last_activity, self.config.silence_s):
                        self._record_alert(call, alert)
                if call.id not in self.desktops and time.monotonic() - call.last_activity > ABANDONED_S:
                    self.forget(call)  # no desktop and no speech for an hour: stop tracking (the row stays open)
                    continue
                if call.dirty and self.subscribers:
                    call.dirty = False
                    self.broadcast(call, {"type": "call", "call": call.board_state()})

    def forget(self, call: LiveCall) -> None:
        """Drop an ended call's state (its turns are flushed by then)."""
        self.calls.pop(call.id, None)
        self.broadcast(call, {"type": "ended", "interaction_id": str(call.id)})
