"""The live phase of the analytics benchmark: ingest at a steady rate while reading the SSE stream."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import orjson


class LiveProbe:
    """Posts `per_batch` contacts every `period_s` and records when the live stream first counts them."""

    def __init__(self, base: str, service_key: str, reader_key: str, *, per_batch: int = 20, period_s: float = 0.1):
        self.base, self.per_batch, self.period_s = base, per_batch, period_s
        self.service = {"Authorization": f"Bearer {service_key}", "content-type": "application/x-ndjson"}
        self.reader = {"Authorization": f"Bearer {reader_key}"}
        self.snapshots: list[tuple[float, int]] = []
        self._stop = threading.Event()

    def _read(self) -> None:
        try:
            self._stream()
        except httpx.HTTPError:
            return  # the server closed the stream at shutdown

    def _stream(self) -> None:
        with (
            httpx.Client(base_url=self.base, timeout=httpx.Timeout(30.0, read=60.0)) as client,
            client.stream("GET", "/v1/analytics/live/stream", headers=self.reader) as r,
        ):
            for line in r.iter_lines():
                if line.startswith("data: "):
                    self.snapshots.append((time.perf_counter(), orjson.loads(line[6:])["totals"]["contacts"]))
                if self._stop.is_set():
                    return

    def _batch(self, n: int, run: int) -> bytes:
        start = datetime.now(UTC) - timedelta(minutes=1)
        rec = {
            "source": "live",
            "channel": "chat",
            "queue": "q1-chat",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(seconds=50)).isoformat(),
            "participants": [{"agent": "h0-0"}],
            "talk_s": 50,
            "outcome": "resolved",
            "intent": "intent_01",
            "attributes": {"wait_s": 8},
            "turns": [{"speaker": "customer", "offset_ms": 0, "text": "my card was declined", "sentiment": -1.0}],
        }
        return b"\n".join(orjson.dumps({**rec, "external_id": f"live-{run}-{n}-{i}"}) for i in range(self.per_batch))

    def run(self, seconds: float) -> dict[str, Any]:
        """Ingest for `seconds`; returns the p50/p95 latency from commit to the first snapshot counting it."""
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        deadline = time.perf_counter() + 10
        while not self.snapshots and time.perf_counter() < deadline:
            time.sleep(0.01)
        base_count = self.snapshots[-1][1] if self.snapshots else 0
        commits: list[tuple[float, int]] = []
        total, batches = 0, int(seconds / self.period_s)
        with httpx.Client(base_url=self.base, timeout=30) as client:
            tick = time.perf_counter()
            for n in range(batches):
                r = client.post("/v1/interactions/bulk", content=self._batch(n, int(tick)), headers=self.service)
                r.raise_for_status()
                total += self.per_batch
                commits.append((time.perf_counter(), base_count + total))
                tick += self.period_s
                time.sleep(max(0.0, tick - time.perf_counter()))
        end = time.perf_counter() + 5
        while time.perf_counter() < end and (not self.snapshots or self.snapshots[-1][1] < base_count + total):
            time.sleep(0.05)
        self._stop.set()
        return self._latencies(commits)

    def _latencies(self, commits: list[tuple[float, int]]) -> dict[str, Any]:
        lat, missed = [], 0
        for at, needed in commits:
            seen = next((t for t, count in self.snapshots if count >= needed), None)
            if seen is None:
                missed += 1
            else:
                lat.append(max(0.0, seen - at) * 1000)
        return {
            "live_update_p50_ms": round(float(np.median(lat)), 1) if lat else None,
            "live_update_p95_ms": round(float(np.percentile(lat, 95)), 1) if lat else None,
            "live_events_per_s": round(self.per_batch / self.period_s),
            "live_contacts_posted": len(commits) * self.per_batch,
            "live_batches_never_seen": missed,
            "live_snapshots": len(self.snapshots),
        }
