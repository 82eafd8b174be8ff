"""A core-NATS connection held by a daemon thread with its own event loop, for the API process's plain
subscriptions (process-local consumers, the supervisor-board relay): connected in the background, retried while
the server is unreachable, closed by stop() even in the middle of a connection attempt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from nats.aio.client import Client

from cxops.integrations.nats.bus import connect
from cxops.integrations.nats.config import NatsBusConfig

log = logging.getLogger(__name__)
T = TypeVar("T")


class NatsThread:
    """Subclasses subscribe in `on_connect`; `publish_soon` sends from any thread while connected."""

    def __init__(self, config: NatsBusConfig, name: str) -> None:
        self._cfg = config
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._nc: Client | None = None

    async def on_connect(self, nc: Client) -> None:
        """Subscribe (called on the thread's loop after each successful connection)."""

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def connected(self) -> bool:
        nc = self._nc
        return nc is not None and nc.is_connected

    def publish_soon(self, subject: str, data: bytes) -> bool:
        """Queue a plain publish on the thread's loop; False (nothing sent) while not connected."""
        loop, nc = self._loop, self._nc
        if loop is None or nc is None or not nc.is_connected:
            return False

        def send() -> None:
            task = loop.create_task(nc.publish(subject, data))
            task.add_done_callback(_log_failure)

        try:
            loop.call_soon_threadsafe(send)
        except RuntimeError:  # the loop closed meanwhile
            return False
        return True

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            try:
                # nats-py retries an unreachable server forever inside connect(): wait for it only until stop()
                nc = await self._unless_stopped(connect(self._cfg))
            except Exception as exc:
                log.warning("NATS unreachable; retrying", extra=self._failure(exc))
                await asyncio.sleep(2.0)
                continue
            if nc is None:
                return
            try:
                await self.on_connect(nc)
            except Exception as exc:  # e.g. a subscription refused: start over with a new connection
                log.warning("NATS subscription failed; retrying", extra=self._failure(exc))
                await nc.close()
                await asyncio.sleep(2.0)
                continue
            self._nc = nc
            while not self._stop.is_set():
                await asyncio.sleep(0.2)
            self._nc = None
            await nc.close()

    def _failure(self, exc: Exception) -> dict[str, str]:
        return {"nats_thread": self._name, "error": type(exc).__name__}  # ("thread" is a LogRecord attribute)

    async def _unless_stopped(self, work: Coroutine[Any, Any, T]) -> T | None:
        """`work`'s result, or None (and `work` cancelled) once stop() is called."""
        task = asyncio.ensure_future(work)
        while not task.done():
            if self._stop.is_set():
                await _cancelled(task)
                return None
            await asyncio.wait({task}, timeout=0.2)
        return task.result()


async def _cancelled(task: asyncio.Task[Any]) -> None:
    """Cancel `task` until it ends. One cancel() is not enough: Python 3.11's asyncio.wait_for (which nats-py's
    connect uses for each attempt) swallows a cancellation that arrives as its inner connect fails, and nats-py
    then goes on to its next attempt; against a refusing server that race is hit about one stop in four."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    with contextlib.suppress(BaseException):
        task.result()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("NATS publish failed", extra={"error": type(task.exception()).__name__})
