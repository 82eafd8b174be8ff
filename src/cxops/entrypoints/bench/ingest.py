"""Bulk ingestion through the HTTP API into SQLite: interactions/s and the server's peak memory at two sizes.

A real uvicorn server runs in a subprocess on a loopback port with a fresh data directory. The client streams
generated voice interactions (about 20 turns each) as chunked NDJSON: a pool of generated records is serialised
once and cycled with fresh external ids, so the client costs little CPU and never holds the batch in memory.
Each size gets a fresh server, so its peak RSS (VmHWM) belongs to that size alone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson

from cxops.core import keys
from cxops.core.auth import Role
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.migrate import upgrade
from cxops.integrations.demo import DemoConfig, Generator

PLACEHOLDER = b"__EXTERNAL_ID__"
CHUNK_BYTES = 256 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def record_pool(size: int = 3000, channel: str = "voice") -> list[bytes]:
    """Serialised generated interactions of one channel, with a placeholder external id."""
    pool: list[bytes] = []
    gen = Generator(DemoConfig(seed=11, days=30, volume=3000, end=date(2026, 11, 24)))
    for day in gen.days():
        for rec in day.interactions:
            if rec["channel"] == channel and rec["outcome"] != "abandoned":
                pool.append(orjson.dumps({**rec, "external_id": PLACEHOLDER.decode()}) + b"\n")
                if len(pool) >= size:
                    return pool
    return pool


def ndjson_chunks(pool: list[bytes], count: int, run: str) -> Iterator[bytes]:
    """`count` NDJSON lines cycled from `pool`, each with a unique external id, in chunks of ~256 KiB."""
    buf: list[bytes] = []
    size = 0
    for i in range(count):
        line = pool[i % len(pool)].replace(PLACEHOLDER, f"{run}-{i:07d}".encode(), 1)
        buf.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(buf)
            buf, size = [], 0
    if buf:
        yield b"".join(buf)


def _service_key(data_dir: Path) -> str:
    engine = make_engine(f"sqlite:///{(data_dir / 'cxops.db').resolve()}")
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        org = keys.ensure_organisation(session, slug="bench")
        _, secret = keys.create_key(session, org_id=org.id, role=Role.SERVICE, name="bench-ingest")
    engine.dispose()
    return secret


def _start_server(data_dir: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CXOPS_DATA_DIR": str(data_dir),
        "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
        "CXOPS_MAX_REQUEST_BYTES": str(8 * 1024**3),
        "CXOPS_LOG_LEVEL": "WARNING",
        "CXOPS_EMBEDDED_DISPATCH": "0",
        "OMP_NUM_THREADS": "1",
    }
    env.pop("CXOPS_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "uvicorn", "cxops.entrypoints.http.asgi:app", "--host", "127.0.0.1"]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*cmd, "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(proc.stderr.read() if proc.stderr else b'').decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become ready within 60 s")


def _family(pid: int) -> list[int]:
    """The server process and its uvicorn worker children."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in children.read_text().split()] if children.exists() else []
    return [pid, *kids]


def peak_rss_mb(pid: int) -> float:
    """The largest peak resident set size (VmHWM) in MiB among the server's processes."""
    peaks = []
    for p in _family(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(round(int(line.split()[1]) / 1024, 1))
    return max(peaks) if peaks else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server's processes have used so far (from /proc/<pid>/stat)."""
    total = 0.0
    for p in _family(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(pool: list[bytes], count: int, workers: int = 1) -> dict[str, Any]:
    """Stream `count` interactions to a fresh server (one stream per worker); throughput, summary, peak RSS."""
    with tempfile.TemporaryDirectory(prefix="cxops-bench-") as tmp:
        data_dir = Path(tmp)
        secret = _service_key(data_dir)
        port = _free_port()
        proc = _start_server(data_dir, port, workers)
        try:
            rss_idle = peak_rss_mb(proc.pid)
            cpu0 = cpu_seconds(proc.pid)
            started = time.perf_counter()
            share = count // workers

            def stream(k: int) -> dict[str, Any]:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/v1/interactions/bulk",
                    content=ndjson_chunks(pool, share, f"b{count}s{k}"),
                    headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/x-ndjson"},
                    timeout=3600,
                )
                response.raise_for_status()
                return dict(response.json())

            with ThreadPoolExecutor(max_workers=workers) as pool_exec:
                parts = list(pool_exec.map(stream, range(workers)))
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(proc.pid) - cpu0
            count = share * workers
            summary = {key: sum(p[key] for p in parts) for key in ("created", "failed")}
            return {
                "count": count,
                "workers": workers,
                "seconds": round(elapsed, 2),
                "interactions_per_s": round(count / elapsed, 1),
                "peak_rss_mb": peak_rss_mb(proc.pid),
                "idle_rss_mb": rss_idle,
                "server_cpu_s": round(cpu, 2),
                "interactions_per_server_cpu_s": round(count / cpu, 1) if cpu else None,
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "created": summary["created"],
                "failed": summary["failed"],
            }
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run(quick: bool = False) -> dict[str, Any]:
    """Two sizes (20k and 100k; quick: 2k and 6k); the headline figures are those of the larger."""
    sizes = (2_000, 6_000) if quick else (20_000, 100_000)
    pool = record_pool(1000 if quick else 3000)
    turns = sum(len(orjson.loads(line)["turns"]) for line in pool) / len(pool)
    runs = [measure(pool, n, workers=2) for n in sizes]
    single = measure(pool, sizes[-1], workers=1)
    big = runs[-1]
    return {
        "interactions_per_s": big["interactions_per_s"],
        "interactions_per_s_1_worker": single["interactions_per_s"],
        "interactions_per_server_cpu_s": big["interactions_per_server_cpu_s"],
        "peak_rss_mb": big["peak_rss_mb"],
        "runs": runs,
        "mean_turns": round(turns, 1),
        "mean_line_bytes": round(sum(map(len, pool)) / len(pool)),
        "database": "sqlite (WAL), fresh file",
        "batch_commit_size": 500,
        "runs_1_worker": [single],
        "note": "voice interactions from the demo generator; event dispatch off (consumers run in `cxops worker`); "
        "headline: `cxops serve --workers 2` (one per core), one NDJSON stream per worker; peak RSS is the "
        "largest worker's; the single-worker, single-stream figure is reported beside it",
    }
