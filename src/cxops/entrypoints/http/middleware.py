"""ASGI middleware: request size limits, per-key rate limits, request metrics and access logs."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from typing import Any

import orjson
from prometheus_client import Counter, Histogram

from cxops.core.errors import PayloadTooLarge

log = logging.getLogger("cxops.http")

REQUESTS = Counter("cxops_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "cxops_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120),
)
STREAMING_PATHS = ("/v1/interactions/bulk",)


def _error(status: int, code: str, message: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class LimitsMiddleware:
    """Refuses oversized bodies (413) and callers over their per-minute budget (429).

    JSON bodies are limited to `max_json_bytes`; streamed NDJSON to `max_request_bytes`. The limit is
    enforced on the bytes actually received, so a missing or false Content-Length does not get around it.
    """

    def __init__(self, app: Any, *, max_json_bytes: int, max_stream_bytes: int, per_minute: int) -> None:
        self.app = app
        self.max_json = max_json_bytes
        self.max_stream = max_stream_bytes
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._buckets: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])

    def _allow(self, who: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets[who]
            tokens = min(self.per_minute, (tokens if last else self.per_minute) + (now - last) * rate)
            if tokens < 1:
                self._buckets[who] = [tokens, now]
                return False
            self._buckets[who] = [tokens - 1, now]
            return True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        who = (headers.get(b"authorization") or headers.get(b"x-api-key") or b"").decode(errors="ignore")[-16:]
        if who and not self._allow(who):
            start, body = _error(429, "rate_limited", f"more than {self.per_minute} requests a minute for this key")
            await send(start)
            await send(body)
            return
        limit = self.max_stream if scope["path"] in STREAMING_PATHS else self.max_json
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            start, body = _error(413, "payload_too_large", f"request body over the limit of {limit} bytes")
            await send(start)
            await send(body)
            return
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route, so the app's CxopsError handler renders the 413.
                    raise PayloadTooLarge(f"request body over the limit of {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


class MetricsMiddleware:
    """Counts and times requests by route template (never by raw path, which may hold ids)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            REQUESTS.labels(scope["method"], name, str(status["code"])).inc()
            LATENCY.labels(scope["method"], name).observe(elapsed)
            if status["code"] >= 500:
                log.error("request failed", extra={"route": name, "status": status["code"]})
