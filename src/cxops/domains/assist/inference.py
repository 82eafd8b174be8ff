"""What the assist engine computes for live segments, in a thread of its own or in a process of its own.

`Understanding` embeds customer segments (a few at a time, one encoder call per group), classifies them with
the intent model on the same vectors and searches the knowledge hub with each segment's vector; agent and AI
turns need phrases and VADER only, which the event loop does, so they never come here. Results stream back
one segment at a time, in the order the segments were submitted, so a segment waits for the segments ahead of
it, not for a whole batch (the encoder's cost per text is flat in the batch size here, so large batches bought
no throughput, only latency and padding). Two places to run it:

- `InProcess`: one thread of the serving process (tests, and a host without a core to spare). Tokenising,
  classifying and ranking hold the GIL, so under load they compete with the event loop.
- `OwnProcess` (the default for servers): a spawned child process with its own interpreter, fed through a
  pipe; requests are written as they come, without waiting for earlier answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.process import tune_gc
from cxops.domains.assist.compute.intents import IntentModel, IntentPrediction
from cxops.domains.assist.ports import Encoder
from cxops.domains.knowledge.public import Access, search

log = logging.getLogger("cxops.assist.inference")
CACHE_SIZE = 4096
GROUP = 4  # customer texts per encoder call: the cost per text is flat in the batch size, latency is not
MAX_GROUP = 16  # with a backlog, one encoder call takes up to this many (the intent model's cost is per call)
MAX_DRAIN = 64  # messages taken from the pipe at once
MIN_QUERY_WORDS = 3
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Request:
    """One customer segment to understand: embedded, classified and searched with the caller's access."""

    text: str
    org_id: uuid.UUID
    access: Access
    call_id: uuid.UUID | None = None  # the live interaction: its segments always go to the same process


@dataclass(slots=True)
class Understood:
    """The intent prediction and knowledge suggestions of one segment, and what they cost."""

    prediction: IntentPrediction | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    retrieval_s: float = 0.0
    intent_s: float = 0.0  # the encoder + classifier call of this segment's group
    # set on the first segment of each encoder call only, so the per-call histograms count each call once
    encode_s: float | None = None
    classify_s: float | None = None
    encoded: int = 0
    cached: bool = False
    group: int = 0  # customer texts understood together with this one (its encoder call, cached ones included)


class InferenceUnavailable(RuntimeError):
    """The inference process is gone (killed, crashed); it is restarted for the next batch."""


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


class Understanding:
    """Encoder, intent model (loaded once) and knowledge search of one thread; not thread-safe."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        encoder: Encoder | None,
        intent_model: Callable[[], IntentModel | None],
        data_dir: Path,
        suggestions: int = 3,
    ) -> None:
        self.factory = factory
        self.encoder = encoder
        self.data_dir = data_dir
        self.suggestions = suggestions
        self._load_model = intent_model
        self._model: IntentModel | None = None
        self._model_loaded = False
        self._cache: OrderedDict[str, tuple[np.ndarray, IntentPrediction | None]] = OrderedDict()

    def model(self) -> IntentModel | None:
        if not self._model_loaded:
            self._model = self._load_model()
            self._model_loaded = True
        return self._model

    def warm_up(self) -> None:
        """Load the intent model and run the encoder once, so the first live segment is not slow."""
        model = self.model()
        if self.encoder is not None:
            vector = self.encoder.encode(["hello"])
            if model is not None:
                model.predict(["hello"], vector)

    def each(self, requests: Sequence[Request], group: int = GROUP) -> Iterator[Understood]:
        """One result per request, in order, each as soon as it is ready (texts `group` at a time)."""
        with self.factory() as session:
            for i in range(0, len(requests), group):
                chunk = requests[i : i + group]
                known, cost = self._understand([r.text for r in chunk])
                for req in chunk:
                    yield self._answer(session, req, known[req.text], cost)
                    cost = {**cost, "encoded": 0}  # the encoder call is counted with its first text

    def _answer(
        self,
        session: Session,
        req: Request,
        known: tuple[np.ndarray | None, IntentPrediction | None, bool],
        cost: dict[str, Any],
    ) -> Understood:
        vector, prediction, cached = known
        t0 = time.perf_counter()
        suggestions, note = self._retrieve(session, req, vector)
        item = Understood(prediction, suggestions, note, time.perf_counter() - t0, cost["intent_s"], cached=cached,
                          group=cost["group"])  # fmt: skip
        if cost["encoded"]:
            item.encode_s, item.classify_s, item.encoded = cost["encode_s"], cost["classify_s"], cost["encoded"]
        return item

    def _understand(
        self, texts: list[str]
    ) -> tuple[dict[str, tuple[np.ndarray | None, IntentPrediction | None, bool]], dict[str, Any]]:
        """Vector, intent and cache hit of each distinct text: from the LRU cache, else ONE encoder call.

        Scripted lines repeat across calls ("Can I take your name and postcode?"), so a line is embedded and
        classified once per process while it stays among the CACHE_SIZE most recent distinct texts.
        """
        encoder, model = self.encoder, self.model()
        known: dict[str, tuple[np.ndarray | None, IntentPrediction | None, bool]] = {}
        misses = []
        for text in dict.fromkeys(texts):
            hit = self._cache.get(text)
            if hit is None:
                misses.append(text)
            else:
                self._cache.move_to_end(text)
                known[text] = (*hit, True)
        cost: dict[str, Any] = {"intent_s": 0.0, "encoded": 0, "group": len(texts)}
        if encoder is None:
            known.update((t, (None, None, False)) for t in misses)
            return known, cost
        if not misses:
            return known, cost
        t0 = time.perf_counter()
        vectors = encoder.encode(misses)
        t1 = time.perf_counter()
        preds: list[IntentPrediction | None] = list(model.predict(misses, vectors)) if model else [None] * len(misses)
        t2 = time.perf_counter()
        cost.update(intent_s=t2 - t0, encode_s=t1 - t0, classify_s=t2 - t1, encoded=len(misses))
        for text, vector, pred in zip(misses, vectors, preds, strict=True):
            self._cache[text] = (vector, pred)
            known[text] = (vector, pred, False)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return known, cost

    def _retrieve(
        self, session: Session, req: Request, vector: np.ndarray | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        if len(req.text.split()) < MIN_QUERY_WORDS:
            return [], None
        embedder = _KnownVector(self.encoder, req.text, vector) if self.encoder and vector is not None else None
        results, note = search(
            session, org_id=req.org_id, data_dir=self.data_dir, embedder=embedder, query=req.text,
            access=req.access, k=self.suggestions,
        )  # fmt: skip
        return [
            {"title": r["citation"]["title"], "section": r["citation"]["section"], "source": r["citation"]["source"],
             "article_id": str(r["citation"]["article_id"]), "confidence": r["confidence"], "text": r["text"][:400]}
            for r in results
        ], note  # fmt: skip


class Inference(Protocol):
    """Where `Understanding` runs (see the module docstring)."""

    def submit(self, requests: Sequence[Request]) -> list[asyncio.Future[Understood]]:
        """One future per request, resolved in submission order (InferenceUnavailable when it cannot be)."""
        ...

    async def warm_up(self) -> None: ...

    async def aclose(self) -> None: ...


def _settle(futures: Sequence[asyncio.Future[Understood]], results: Sequence[Understood] | BaseException) -> None:
    for i, fut in enumerate(futures):
        if fut.done():
            continue
        if isinstance(results, BaseException):
            fut.set_exception(InferenceUnavailable(f"{type(results).__name__} in assist inference"))
        else:
            fut.set_result(results[i])


class InProcess:
    """`Understanding` in one thread of this process, built on first use by `build`."""

    def __init__(self, build: Callable[[], Understanding]) -> None:
        self._build = build
        self._understanding: Understanding | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-infer")

    def _get(self) -> Understanding:
        if self._understanding is None:
            self._understanding = self._build()
        return self._understanding

    def submit(self, requests: Sequence[Request]) -> list[asyncio.Future[Understood]]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Understood]] = [loop.create_future() for _ in requests]
        batch = list(requests)

        def work() -> None:  # the thread resolves each future as its result is ready
            try:
                for fut, item in zip(futures, self._get().each(batch), strict=True):
                    loop.call_soon_threadsafe(_settle, [fut], [item])
            except Exception as exc:  # an adapter failed: the rest of this submission is unavailable
                log.error("assist inference failed", extra={"exc_type": type(exc).__name__})
                loop.call_soon_threadsafe(_settle, futures, exc)

        self._executor.submit(work)
        return futures

    async def warm_up(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, lambda: self._get().warm_up())

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-infer")


def serve(conn: Connection, build: Callable[[], Understanding]) -> None:
    """Main of the inference process. Messages: ("run", first_tag, requests) answered by one ("ok", tag, result)
    per request as it is ready, or ("error", tag, reason) for each request an adapter failure left unanswered;
    ("warm", tag, None); ("stop", 0, None) or EOF ends the process.

    Everything already queued in the pipe is taken together: a backlog is understood in larger encoder calls
    (up to MAX_GROUP texts; cheaper per text), a lone segment alone (no waiting for company)."""
    understanding = build()
    tune_gc()
    while True:
        try:
            messages = [conn.recv()]
            while conn.poll(0) and len(messages) < MAX_DRAIN:
                messages.append(conn.recv())
        except (EOFError, OSError):  # the serving process is gone
            return
        work: list[tuple[int, Request]] = []
        for kind, tag, payload in messages:
            if kind == "stop":
                return
            if kind == "warm":
                _answer_all(conn, understanding, work)
                work = []
                understanding.warm_up()
                conn.send(("ok", tag, None))
            else:
                work.extend((tag + i, req) for i, req in enumerate(payload))
        _answer_all(conn, understanding, work)


def _answer_all(conn: Connection, understanding: Understanding, work: list[tuple[int, Request]]) -> None:
    if not work:
        return
    group = max(GROUP, min(MAX_GROUP, len(work)))
    done = 0
    try:
        for item in understanding.each([r for _, r in work], group=group):
            conn.send(("ok", work[done][0], item))
            done += 1
    except Exception as exc:  # an adapter failed: the rest is unavailable; keep serving
        log.error("assist inference failed", extra={"exc_type": type(exc).__name__})
        for tag, _ in work[done:]:
            conn.send(("error", tag, f"{type(exc).__name__} in the inference process"))


class OwnProcess:
    """`Understanding` in a spawned child process, fed through a pipe.

    `build` must be picklable (a module-level function, or a functools.partial of one): the child calls it to
    create its own database engine, encoder and intent model. Requests are written from the event loop as they
    come (small; the pipe buffers them while the child works); results, one message per request, are read by
    a reader thread with blocking reads and handed to the loop. A child that dies fails every request in
    flight with InferenceUnavailable and is started again for the next submission.
    """

    def __init__(self, build: Callable[[], Understanding]) -> None:
        self._build = build
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._tag = 0
        self.starts = 0  # children started (more than one: a child died and was replaced)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=serve, args=(child, self._build), name="cxops-assist-inference", daemon=True)
        proc.start()
        child.close()
        self.starts += 1
        self._proc, self._conn = proc, parent
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=self._read_replies, args=(parent, loop), name="assist-inference-replies", daemon=True
        ).start()

    def _read_replies(self, conn: Connection, loop: asyncio.AbstractEventLoop) -> None:
        """Reader thread of one child: every reply to the loop; at EOF (the child is gone) the pipe is closed."""
        try:
            while True:
                kind, tag, payload = conn.recv()
                loop.call_soon_threadsafe(self._deliver, conn, kind, tag, payload)
        except (EOFError, OSError):
            pass
        finally:
            conn.close()
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(self._lost, conn)

    def _deliver(self, conn: Connection, kind: str, tag: int, payload: Any) -> None:
        if conn is not self._conn:
            return
        if kind == "ok":
            fut = self._waiting.pop(tag, None)
            if fut is not None and not fut.done():
                fut.set_result(payload)
            return
        # an error names one request; the child sends one for each request of the message it could not answer
        fut = self._waiting.pop(tag, None)
        if fut is not None and not fut.done():
            fut.set_exception(InferenceUnavailable(str(payload)))

    def _lost(self, conn: Connection) -> None:
        if conn is self._conn:
            self._drop("the assist inference process exited")

    def _drop(self, reason: str) -> None:
        """Forget the child (it is gone or hopeless) and fail everything in flight; its reader thread closes the
        pipe when it sees the child gone."""
        proc, self._conn, self._proc = self._proc, None, None
        if proc is not None and proc.is_alive():
            proc.kill()
        waiting, self._waiting = self._waiting, {}
        for fut in waiting.values():
            if not fut.done():
                fut.set_exception(InferenceUnavailable(reason))

    def _send(self, kind: str, payload: Any, count: int) -> list[asyncio.Future[Any]]:
        if self._proc is not None and not self._proc.is_alive():
            self._drop("the assist inference process exited")
        if self._proc is None:
            self._start()
        assert self._conn is not None
        loop = asyncio.get_running_loop()
        first = self._tag
        self._tag += max(count, 1)
        futures = [loop.create_future() for _ in range(max(count, 1))]
        for i, fut in enumerate(futures):
            self._waiting[first + i] = fut
        try:
            self._conn.send((kind, first, payload))
        except OSError:  # BrokenPipeError included: the child is gone
            self._drop("the assist inference process exited")
        return futures

    def submit(self, requests: Sequence[Request]) -> list[asyncio.Future[Understood]]:
        return self._send("run", list(requests), len(requests))

    async def warm_up(self) -> None:
        await self._send("warm", None, 1)[0]

    async def aclose(self) -> None:
        proc, conn = self._proc, self._conn
        if proc is None or conn is None:
            return
        with contextlib.suppress(OSError):
            conn.send(("stop", 0, None))
        await asyncio.to_thread(proc.join, STOP_TIMEOUT_S)
        self._drop("the assist engine was closed")


class ProcessPool:
    """Several `OwnProcess` children (one per spare core); each live interaction always goes to the same one,
    so its segments are understood in order. Futures come back in the order of the submitted requests."""

    def __init__(self, build: Callable[[], Understanding], processes: int) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, not {processes}")
        self.children = [OwnProcess(build) for _ in range(processes)]

    def _child(self, request: Request) -> int:
        return (request.call_id.int if request.call_id is not None else 0) % len(self.children)

    def submit(self, requests: Sequence[Request]) -> list[asyncio.Future[Understood]]:
        parts: list[list[int]] = [[] for _ in self.children]
        for i, req in enumerate(requests):
            parts[self._child(req)].append(i)
        out: list[asyncio.Future[Understood] | None] = [None] * len(requests)
        for child, idx in zip(self.children, parts, strict=True):
            if idx:
                for i, fut in zip(idx, child.submit([requests[i] for i in idx]), strict=True):
                    out[i] = fut
        return [f for f in out if f is not None]

    async def warm_up(self) -> None:
        await asyncio.gather(*(c.warm_up() for c in self.children))

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.children))
