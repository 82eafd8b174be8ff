"""Analytics at scale: overview and drill-down latency over 1M interactions (~20M turns) in SQLite, and how
fast the live view follows ingestion at 200 contacts/s.

Setup writes the history straight into a fresh SQLite file (bench/_analytics_data.py), with the trust-ledger
entries of the automated contacts (so the overview's trust index reads a realistic ledger); the API then runs in a
real uvicorn server on a loopback port, in this process, with the embedded outbox dispatcher. Latencies are
measured by an HTTP client: overview and drill-down requests with varied ranges and paths (the contact frame
is loaded once first, and that cold load is reported on its own), then a live phase posting 20 contacts every
100 ms while a server-sent-event stream is read: each contact's latency runs from its ingestion request's
return (committed) to the first snapshot that counts it.
"""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn

from cxops.core import keys
from cxops.core.auth import Role
from cxops.core.config import load_settings
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.migrate import upgrade
from cxops.entrypoints.bench._analytics_data import Shape, contacts, directory
from cxops.entrypoints.bench._analytics_live import LiveProbe
from cxops.entrypoints.http.app import create_app


def _p95(values: list[float]) -> float:
    return round(float(np.percentile(values, 95)), 1) if values else float("nan")


def _setup(data_dir: Path, shape: Shape) -> tuple[dict[str, str], float, int]:
    url = f"sqlite:///{data_dir / 'cxops.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = keys.ensure_organisation(session, slug="bench")
        secrets = {r.value: keys.create_key(session, org_id=org.id, role=r, name=r.value)[1] for r in Role}
        org_hex = org.id.hex
    engine.dispose()
    started = time.perf_counter()
    conn = sqlite3.connect(data_dir / "cxops.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    ids = directory(conn, org_hex, shape)
    conn.commit()
    for _ in contacts(conn, org_hex, ids, shape):
        pass
    conn.execute("ANALYZE")
    ledger = int(conn.execute("SELECT count(*) FROM trust_experience").fetchone()[0])
    conn.close()
    return secrets, round(time.perf_counter() - started, 1), ledger


def _timed(client: httpx.Client, path: str, params: dict[str, Any]) -> float:
    started = time.perf_counter()
    r = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"{path} {params} -> {r.status_code}: {r.text[:300]}")
    return elapsed


def _queries(client: httpx.Client, rounds: int) -> dict[str, Any]:
    rng = random.Random(5)
    now = datetime.now(UTC)
    cold = _timed(client, "/v1/analytics/overview", {})
    overview, drill = [], []
    for i in range(rounds):
        days = rng.choice([1, 7, 30, 90])
        params: dict[str, Any] = {"since": (now - timedelta(days=days)).isoformat(), "until": now.isoformat()}
        if i % 3 == 1:
            params["channel"] = rng.choice(["voice", "chat"])
        overview.append(_timed(client, "/v1/analytics/overview", params))
        r = rng.randrange(4)
        path = rng.choice([{}, {"region": f"R{r}"}, {"region": f"R{r}", "location": f"R{r}-L{rng.randrange(3)}"}])
        if rng.random() < 0.3 and "location" in path:
            path["team"] = f"{path['location']}-T{rng.randrange(4)}"
        drill.append(_timed(client, "/v1/analytics/drilldown", {**params, **path}))
    opportunities_cold = _timed(client, "/v1/analytics/opportunities", {})  # computes knowledge/policy coverage
    opportunities = [_timed(client, "/v1/analytics/opportunities", {}) for _ in range(5)]
    since = (now - timedelta(days=90)).isoformat()
    kpis = client.get("/v1/analytics/overview", params={"since": since, "until": now.isoformat()}).json()["kpis"]
    return {
        "overview_cold_ms": round(cold, 1),
        "overview_p50_ms": round(float(np.median(overview)), 1),
        "overview_p95_ms": _p95(overview),
        "drilldown_p50_ms": round(float(np.median(drill)), 1),
        "drilldown_p95_ms": _p95(drill),
        "requests_each": rounds,
        "opportunities_cold_ms": round(opportunities_cold, 1),
        "opportunities_p50_ms": round(float(np.median(opportunities)), 1),
        "trust_index_90d": kpis["trust_index"],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return server, thread, base


def _frame_stats(app: Any) -> dict[str, Any]:
    cache = app.state.analytics_cache
    frame = next(iter(cache.frames().values()))
    return {
        "frame_rows": len(frame.df),
        "frame_load_ms": frame.load_ms,
        "frame_mb": round(frame.df.memory_usage(deep=True).sum() / 2**20),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Generate the history, then measure overview, drill-down and live latency through the HTTP API."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    shape = Shape(interactions=50_000, customers=20_000) if quick else Shape(interactions=1_000_000)
    with tempfile.TemporaryDirectory(prefix="cxops-bench-analytics-") as tmp:
        data_dir = Path(tmp)
        secrets, setup_s, ledger = _setup(data_dir, shape)
        settings = load_settings(
            {"CXOPS_DATA_DIR": str(data_dir), "CXOPS_RATE_LIMIT_PER_MINUTE": "0", "CXOPS_LOG_LEVEL": "WARNING"}
        )
        app = create_app(settings)
        server, thread, base = _serve(app)
        try:
            with httpx.Client(
                base_url=base, timeout=120, headers={"Authorization": f"Bearer {secrets['analyst']}"}
            ) as c:
                result = _queries(c, 20 if quick else 60)
            result.update(_frame_stats(app))
            probe = LiveProbe(base, secrets["service"], secrets["supervisor"])
            result.update(probe.run(5 if quick else 20))
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        db_mb = round(sum(p.stat().st_size for p in data_dir.glob("cxops.db*")) / 2**20)
    return {
        "interactions": shape.interactions,
        "turns": shape.interactions * shape.turns_per,
        "trust_ledger_entries": ledger,
        "setup_s": setup_s,
        "db_mb": db_mb,
        **result,
        "store": "SQLite (embedded), contact frame in memory (pandas)",
    }
