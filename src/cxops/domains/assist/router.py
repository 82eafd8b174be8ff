"""Real-time assist API: the agent-desktop WebSocket per live interaction, the supervisor stream, and reads.

WebSockets authenticate like HTTP (Authorization: Bearer, X-API-Key, the console session cookie) or with
`?key=` for clients that cannot set headers; a refused connection gets an error frame and close code 4401/4403.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, WebSocket
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect, WebSocketState

from cxops.core.auth import Principal, Role
from cxops.core.errors import Conflict, CxopsError, NotFound, Unauthorized
from cxops.core.web import DbSession, authenticate, require
from cxops.domains.assist import service
from cxops.domains.assist.compute.frames import (
    ContactLensBatch,
    EndFrame,
    FrameError,
    PingFrame,
    SegmentFrame,
    StartFrame,
    UsedFrame,
    parse,
    segment_from_contact_lens,
)
from cxops.domains.assist.engine import DROPPED, FRAME_ERRORS, AssistEngine, Outbox, Subscriber
from cxops.domains.assist.live import LiveCall
from cxops.domains.assist.models import AssistAlert

log = logging.getLogger("cxops.assist.stream")
router = APIRouter(prefix="/v1/assist", tags=["assist"])
#: Who may open an agent desktop stream (analysts read reports, not live calls).
DESKTOP_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.SERVICE})
BOARD_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})
ALERT_READERS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST})
SEND_TIMEOUT_S = 5.0
Desktop = Annotated[Principal, Depends(require(DESKTOP_ROLES))]
AlertReader = Annotated[Principal, Depends(require(ALERT_READERS))]


def _engine(conn: WebSocket | Request) -> AssistEngine:
    engine: AssistEngine = conn.app.state.assist
    return engine


def _dump(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame, default=str).decode()


async def _authorise(ws: WebSocket, roles: frozenset[Role]) -> Principal | None:
    """The caller's principal, or None after refusing the connection with an error frame and 4401/4403."""
    key = ws.query_params.get("key")
    try:
        with ws.app.state.session_factory() as session:
            principal = authenticate(ws, session, ("key", key) if key else None)
    except Unauthorized as exc:
        await _refuse(ws, 4401, "unauthorized", exc.message)
        return None
    if principal.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        await _refuse(ws, 4403, "forbidden", f"role '{principal.role.value}' may not do this; allowed: {allowed}")
        return None
    return principal


async def _refuse(ws: WebSocket, code: int, error: str, message: str) -> None:
    await ws.accept()
    await ws.send_text(_dump({"type": "error", "code": error, "message": message, "seq": None}))
    await ws.close(code=code, reason=error)


class _Stream:
    """One WebSocket: a reader, a sender draining a bounded outbox, and a drop when the client stops reading."""

    def __init__(self, ws: WebSocket, engine: AssistEngine) -> None:
        self.ws = ws
        self.engine = engine
        self.dropped = asyncio.Event()
        self.close_reason: tuple[int, str] | None = None
        self.outbox = Outbox(engine.config.send_queue, self._overflow)

    def _overflow(self) -> None:
        self.close(1008, f"slow_consumer: more than {self.engine.config.send_queue} frames unread")

    def close(self, code: int, reason: str) -> None:
        if self.close_reason is None:
            self.close_reason = (code, reason[:120])
            if code == 1008:
                DROPPED.labels(kind="slow_consumer").inc()
            self.dropped.set()

    async def _send_loop(self) -> None:
        while True:
            frame = await self.outbox.queue.get()
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that arrives as the
                # send completes, which left this loop running after its stream was closed
                async with asyncio.timeout(SEND_TIMEOUT_S):
                    await self.ws.send_text(_dump(frame))
                self.outbox.queue.task_done()
            except TimeoutError:
                self.close(1008, f"slow_consumer: a frame waited more than {SEND_TIMEOUT_S:.0f} s to be sent")
                return

    async def run(self, reader: Any) -> None:
        """Run `reader` and the sender until either ends or the connection is dropped; then close once."""
        tasks = [asyncio.create_task(reader), asyncio.create_task(self._send_loop()),
                 asyncio.create_task(self.dropped.wait())]  # fmt: skip
        try:
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when this handler is cancelled (server shutdown): never leave the tasks behind
            for task in tasks:
                task.cancel()
        if pending:
            await asyncio.wait(pending)  # unlike gather(return_exceptions=True), never swallows our own cancel
        for task in done:
            if not task.cancelled() and task.exception() is not None:  # a bug, not bad input: say so, keep serving
                log.error("assist stream failed", extra={"exc_type": type(task.exception()).__name__})
                self.close_reason = self.close_reason or (1011, "internal_error: see server logs")
        if self.close_reason is not None and self.ws.application_state == WebSocketState.CONNECTED:
            code, reason = self.close_reason
            with contextlib.suppress(TimeoutError, RuntimeError, OSError):
                # a client that stopped reading may never take the close frame: do not wait on it forever
                async with asyncio.timeout(1.0 if code == 1008 else SEND_TIMEOUT_S):
                    await self.ws.close(code=code, reason=reason)

    async def frames(self) -> Any:
        """Text (or binary UTF-8) frames until the client disconnects."""
        while True:
            try:
                message = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            yield raw if raw is not None else (message.get("bytes") or b"")


class _Desktop(_Stream):
    """The agent desktop of one live interaction."""

    def __init__(self, ws: WebSocket, engine: AssistEngine, principal: Principal, ref: str) -> None:
        super().__init__(ws, engine)
        self.principal = principal
        self.ref = ref
        self.call: LiveCall | None = None
        self.ended_ref = False  # the reference is an interaction that has ended

    def error(self, err: FrameError) -> None:
        FRAME_ERRORS.labels(code=err.code).inc()
        self.outbox.offer(err.frame())

    async def attach_existing(self) -> None:
        """A UUID reference to an open interaction attaches at once (no start frame needed)."""
        try:
            interaction_id = uuid.UUID(self.ref)
        except ValueError:
            return
        call = self.engine.calls.get(interaction_id)
        if call is None:
            try:
                attached = await asyncio.to_thread(service.attach, self.engine, self.principal, interaction_id)
            except NotFound:
                return
            except Conflict as exc:
                self.ended_ref = True
                self.error(FrameError("interaction_ended", exc.message))
                return
            # tracked like a started call, so a later reconnect or takeover on this process shares its state
            call = self.engine.calls.setdefault(attached.id, attached)
        if call.info.org_id == self.principal.org_id:
            self._bind(call, resumed=True)

    def _bind(self, call: LiveCall, *, resumed: bool) -> None:
        previous = self.engine.desktops.get(call.id)
        if previous is not None and previous is not self.outbox:
            previous.offer({"type": "error", "code": "taken_over", "seq": None,
                            "message": "another desktop connected to this interaction and took it over"})  # fmt: skip
            previous.overflowed = True  # nothing more is queued for the old desktop
        self.engine.desktops[call.id] = self.outbox
        self.call = call
        self.outbox.offer({"type": "started", "interaction_id": str(call.id), "external_id": call.external_id,
                           "resumed": resumed, "next_seq": call.last_seq + 1, "trust": call.trust})  # fmt: skip

    async def read(self) -> None:
        await self.attach_existing()
        async for raw in self.frames():
            received = time.perf_counter()
            try:
                frame = parse(raw, max_bytes=self.engine.config.max_frame_bytes)
                parse_s = time.perf_counter() - received
                if await self.handle(frame, received, parse_s):
                    return
            except FrameError as err:
                self.error(err)

    async def handle(self, frame: Any, received: float, parse_s: float) -> bool:
        """Handle one parsed frame; True when the stream should end (after `end`)."""
        if isinstance(frame, PingFrame):
            self.outbox.offer({"type": "pong"})
        elif isinstance(frame, StartFrame):
            await self.start(frame)
        elif isinstance(frame, SegmentFrame):
            self.engine.accept(self._live(frame.seq), frame, received, parse_s)
        elif isinstance(frame, ContactLensBatch):
            self.contact_lens(frame, received, parse_s)
        elif isinstance(frame, UsedFrame):
            await self.used(frame)
        elif isinstance(frame, EndFrame):
            return await self.end(frame)
        return False

    def _live(self, seq: int | None) -> LiveCall:
        if self.call is None:
            raise FrameError("unknown_interaction", f"no live interaction {self.ref!r}: send a start frame first", seq)
        if self.engine.desktops.get(self.call.id) is not self.outbox:
            raise FrameError("taken_over", "another desktop has taken this interaction over", seq)
        return self.call

    async def start(self, frame: StartFrame) -> None:
        if self.call is not None and not self.call.ended:
            self.outbox.offer({"type": "started", "interaction_id": str(self.call.id), "resumed": True,
                               "external_id": self.call.external_id, "next_seq": self.call.last_seq + 1,
                               "trust": self.call.trust})  # fmt: skip
            return
        if self.ended_ref:
            raise FrameError(
                "interaction_ended", f"interaction {self.ref} has ended; open a new one under a new reference"
            )
        try:
            call = await asyncio.to_thread(service.open_call, self.engine, self.principal, self.ref, frame)
        except Conflict as exc:
            raise FrameError("interaction_ended", exc.message) from None
        except CxopsError as exc:
            raise FrameError("invalid_frame", exc.message) from None
        known = self.engine.calls.setdefault(call.id, call)
        self._bind(known, resumed=call.info.resumed)
        if known.trust is None:
            await self.engine.load_trust(known)
            if known.trust is not None:
                self.outbox.offer({"type": "trust", "interaction_id": str(known.id), "trust": known.trust})

    def contact_lens(self, batch: ContactLensBatch, received: float, parse_s: float) -> None:
        call = self._live(None)
        if batch.categories:
            call.categories.extend(c for c in batch.categories if c not in call.categories)
            call.dirty = True
        for fields in batch.segments:
            if fields["key"] in call.cl_keys:
                self.error(
                    FrameError("duplicate_segment", f"transcript segment {fields['key']!r} was already received")
                )
                continue
            try:
                seg = segment_from_contact_lens(fields, call.next_seq())
                self.engine.accept(call, seg, received, parse_s)
                call.cl_keys.add(fields["key"])
            except FrameError as err:
                self.error(err)

    async def used(self, frame: UsedFrame) -> None:
        """The agent used a suggested article: stored for the call's attributions, then acknowledged (so an
        acknowledged use survives a crash or a resume on another process; the wait is one commit of the writer)."""
        call = self._live(None)
        if call.ended:
            raise FrameError("interaction_ended", f"interaction {call.id} has ended; not recorded")
        article_id = str(frame.article_id)
        if not await self.engine.record_used(call, article_id, SEND_TIMEOUT_S):
            raise FrameError(
                "used_not_stored", f"the use of article {article_id} could not be stored yet; send the used frame again"
            )
        self.outbox.offer({"type": "used", "interaction_id": str(call.id), "article_id": article_id})

    async def end(self, frame: EndFrame) -> bool:
        call = self._live(None)
        if call.ended:
            raise FrameError("interaction_ended", f"interaction {call.id} has already ended")
        call.ended = True
        await self.engine.settle(call, SEND_TIMEOUT_S)  # the answers to its last segments go out before `ended`
        articles = call.articles_shown()  # taken on the loop, which alone changes the call's state
        try:
            turns = await asyncio.to_thread(service.end_call, self.engine, call, frame, articles)
        except CxopsError as exc:
            call.ended = False
            raise FrameError("invalid_frame", exc.message) from None
        dispatcher = getattr(self.ws.app.state, "dispatcher", None)
        if dispatcher is not None:
            dispatcher.notify()
        self.engine.forget(call)
        self.outbox.offer({"type": "ended", "interaction_id": str(call.id), "turns": turns})
        with contextlib.suppress(TimeoutError):  # every queued frame, `ended` last, is sent before closing
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await self.outbox.queue.join()
        self.close_reason = (1000, "interaction ended")
        return True

    def detach(self) -> None:
        if self.call is not None and self.engine.desktops.get(self.call.id) is self.outbox:
            self.engine.desktops.pop(self.call.id, None)


@router.websocket("/live/{ref}")
async def live_desktop(ws: WebSocket, ref: str) -> None:
    """Agent desktop stream for one live interaction (see docs/assist.md for frames and errors)."""
    principal = await _authorise(ws, DESKTOP_ROLES)
    if principal is None:
        return
    if len(ref) > 100:
        await _refuse(ws, 4400, "invalid_reference", "interaction reference is longer than 100 characters")
        return
    await ws.accept()
    engine = _engine(ws)
    engine.ensure_started()
    desk = _Desktop(ws, engine, principal, ref)
    try:
        await desk.run(desk.read())
    finally:
        desk.detach()


@router.websocket("/board")
async def supervisor_board(ws: WebSocket) -> None:
    """Supervisor stream: live state of the team's interactions and their alerts."""
    principal = await _authorise(ws, BOARD_ROLES)
    if principal is None:
        return
    team = ws.query_params.get("team")
    team_id = await asyncio.to_thread(service.team_id, ws.app.state.session_factory, principal.org_id, team)
    if team and team_id is None:
        await _refuse(ws, 4404, "unknown_team", f"team {team!r} not found")
        return
    await ws.accept()
    engine = _engine(ws)
    engine.ensure_started()
    stream = _Stream(ws, engine)
    sub = Subscriber(principal.org_id, team_id, stream.outbox)
    stream.outbox.offer(engine.snapshot(sub))
    engine.subscribers.append(sub)

    async def drain() -> None:
        async for _ in stream.frames():  # the board sends nothing meaningful; reading notices the disconnect
            pass

    try:
        await stream.run(drain())
    finally:
        engine.subscribers.remove(sub)


@router.get("/calls")
def live_calls(request: Request, who: Desktop) -> list[dict[str, Any]]:
    """The caller's organisation's live interactions: those this process assists and, with NATS, those the other
    API processes announce on the board relay."""
    calls, remote = _engine(request).live(lambda org_id, _team: org_id == who.org_id)
    return [c.board_state() for c in calls] + [r.state for r in remote]


@router.get("/alerts")
def alerts(
    session: DbSession,
    who: AlertReader,
    interaction_id: uuid.UUID | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Alerts raised on live interactions, newest first."""
    stmt = select(AssistAlert).where(AssistAlert.org_id == who.org_id)
    if interaction_id is not None:
        stmt = stmt.where(AssistAlert.interaction_id == interaction_id)
    if since is not None:
        stmt = stmt.where(AssistAlert.raised_at >= since)
    rows = session.scalars(stmt.order_by(AssistAlert.raised_at.desc()).limit(limit))
    return [
        {"id": str(r.id), "interaction_id": str(r.interaction_id), "kind": r.kind, "severity": r.severity,
         "message": r.message, "seq": r.seq, "detail": r.detail, "raised_at": r.raised_at.isoformat()}
        for r in rows
    ]  # fmt: skip
