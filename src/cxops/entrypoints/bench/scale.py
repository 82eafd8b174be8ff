"""Scale-out on PostgreSQL + NATS JetStream: sustained ingestion plus event consumption, 1 and 2 worker processes,
then a fault run (a worker killed with SIGKILL and NATS killed and restarted mid-ingestion) counting loss and
duplicates.

Each configuration gets a fresh PostgreSQL database and a private nats-server (free port, its own store directory).
A real API process (uvicorn, NATS mode: it only writes the outbox) receives generated voice interactions as a
streamed NDJSON bulk upload; `N` worker processes (`run_worker`: outbox relay + durable JetStream consumer) apply
the measured consumer of `_scale_worker` (per interaction: read it with its turn count, write one effect row).
Throughput = interactions ingested and consumed / seconds from the first byte sent to the last effect committed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from cxops.core import keys
from cxops.core.auth import Role
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.migrate import upgrade
from cxops.entrypoints.bench.ingest import _free_port, ndjson_chunks, record_pool

ADMIN_URL = os.environ.get("CXOPS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_BIN = shutil.which("nats-server") or "/usr/sbin/nats-server"


class Stack:
    """A fresh database, a private nats-server, one API process and N worker processes."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db_name = f"cxops_bench_scale_{uuid.uuid4().hex[:8]}"
        self.db_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{self.db_name}"
        self.nats_port = _free_port()
        self.api_port = _free_port()
        self.nats: subprocess.Popen[bytes] | None = None
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.engine: Engine | None = None
        self.secret = ""

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CXOPS_DATABASE_URL": self.db_url,
            "CXOPS_NATS_URL": f"nats://127.0.0.1:{self.nats_port}",
            "CXOPS_NATS_STREAM": "BENCH",
            "CXOPS_NATS_ACK_WAIT_SECONDS": "5",
            "CXOPS_NATS_MAX_DELIVER": "50",
            "CXOPS_DATA_DIR": str(self.tmp),
            "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
            "CXOPS_MAX_REQUEST_BYTES": str(8 * 1024**3),
            "CXOPS_LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
        }

    def start(self, workers: int) -> None:
        admin = create_engine(
            ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        self.engine = make_engine(self.db_url)
        upgrade(self.engine)
        with unit_of_work(make_session_factory(self.engine)) as session:
            org = keys.ensure_organisation(session, slug="bench")
            _, self.secret = keys.create_key(session, org_id=org.id, role=Role.SERVICE, name="bench-scale")
            session.execute(text("CREATE TABLE bench_scale_effect (interaction_id UUID, event_id UUID, turns INT)"))
        self.start_nats()
        self.api = self._spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "cxops.entrypoints.http.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            "api",
        )
        self._wait(lambda: _ready(self.api_port), 60, "the API")
        for _ in range(workers):
            self.add_worker()

    def start_nats(self) -> None:
        store, log = self.tmp / "js", self.tmp / "nats.log"
        args = [NATS_BIN, "-a", "127.0.0.1", "-p", str(self.nats_port), "-js", "-sd", str(store), "-l", str(log)]
        self.nats = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        self._wait(lambda: _answers(self.nats_port), 10, "nats-server")

    def kill_nats(self) -> None:
        if self.nats is not None:
            self.nats.send_signal(signal.SIGKILL)
            self.nats.wait(10)

    def add_worker(self) -> None:
        self.workers.append(self._spawn([sys.executable, "-m", "cxops.entrypoints.bench._scale_worker"], "worker"))

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}-{uuid.uuid4().hex[:6]}.log").open("wb")
        return subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603

    @staticmethod
    def _wait(predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
            time.sleep(0.1)

    def ingest(self, pool: list[bytes], count: int, run: str) -> int:
        response = httpx.post(
            f"http://127.0.0.1:{self.api_port}/v1/interactions/bulk",
            content=ndjson_chunks(pool, count, run),
            headers={"Authorization": f"Bearer {self.secret}", "Content-Type": "application/x-ndjson"},
            timeout=3600,
        )
        response.raise_for_status()
        return int(response.json()["created"])

    def scalar(self, sql: str) -> int:
        assert self.engine is not None
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())

    def effects(self) -> tuple[int, int]:
        """(effect rows, distinct interactions with an effect)."""
        total = self.scalar("SELECT COUNT(*) FROM bench_scale_effect")
        return total, self.scalar("SELECT COUNT(DISTINCT interaction_id) FROM bench_scale_effect")

    def wait_consumed(self, expected: int, timeout: float = 600) -> None:
        self._wait(lambda: self.effects()[1] >= expected, timeout, f"consumption of {expected} interactions")

    def stop(self) -> None:
        for proc in [*self.workers, self.api]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.api]:
            if proc is not None:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.kill_nats()
        if self.engine is not None:
            self.engine.dispose()
        admin = create_engine(
            ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def throughput(pool: list[bytes], count: int, workers: int) -> dict[str, Any]:
    """Ingest `count` interactions with `workers` worker processes; end-to-end interactions per second."""
    with tempfile.TemporaryDirectory(prefix="cxops-scale-") as tmp:
        stack = Stack(Path(tmp))
        try:
            stack.start(workers)
            started = time.perf_counter()
            created = stack.ingest(pool, count, f"w{workers}")
            ingested_s = time.perf_counter() - started
            stack.wait_consumed(created)
            elapsed = time.perf_counter() - started
            total, distinct = stack.effects()
            events = stack.scalar("SELECT COUNT(*) FROM core_outbox_event")
            drain = backlog_drain(stack, pool, count, workers)
            return {
                **drain,
                "workers": workers,
                "interactions": created,
                "events": events,
                "ingest_s": round(ingested_s, 2),
                "end_to_end_s": round(elapsed, 2),
                "interactions_per_s": round(created / elapsed, 1),
                "lost": created - distinct + drain.pop("lost"),
                "duplicated": total - distinct + drain.pop("duplicated"),
            }
        finally:
            stack.stop()


def backlog_drain(stack: Stack, pool: list[bytes], count: int, workers: int) -> dict[str, Any]:
    """Consumption alone: stop the workers, ingest a backlog, start `workers` fresh ones and time the drain."""
    for proc in stack.workers:
        proc.terminate()
        proc.wait(20)
    stack.workers = []
    before_total, before_distinct = stack.effects()
    created = stack.ingest(pool, count, f"d{workers}")
    started = time.perf_counter()
    for _ in range(workers):
        stack.add_worker()
    stack.wait_consumed(before_distinct + created)
    elapsed = time.perf_counter() - started
    total, distinct = stack.effects()
    return {
        "backlog": created,
        "drain_s_including_worker_start": round(elapsed, 2),
        "drain_interactions_per_s": round(created / elapsed, 1),
        "lost": before_distinct + created - distinct,
        "duplicated": (total - before_total) - (distinct - before_distinct),
    }


def fault_run(pool: list[bytes], count: int) -> dict[str, Any]:
    """Two workers; mid-ingestion one is killed with SIGKILL (and replaced) and NATS is killed and restarted."""
    with tempfile.TemporaryDirectory(prefix="cxops-scale-fault-") as tmp:
        stack = Stack(Path(tmp))
        try:
            stack.start(2)
            result: dict[str, int] = {}
            thread = threading.Thread(target=lambda: result.update(created=stack.ingest(pool, count, "fault")))
            thread.start()
            faults = []
            stack._wait(lambda: stack.scalar("SELECT COUNT(*) FROM bench_scale_effect") > 0, 300, "first effects")
            stack.workers[0].send_signal(signal.SIGKILL)
            stack.add_worker()
            faults.append("worker SIGKILL while consuming")
            stack._wait(lambda: stack.scalar("SELECT COUNT(*) FROM interaction") >= count * 0.6, 300, "60% ingested")
            stack.kill_nats()
            time.sleep(1.0)
            stack.start_nats()
            faults.append("nats-server SIGKILL + restart during ingestion")
            thread.join()
            stack.wait_consumed(result["created"])
            time.sleep(2.0)  # late redeliveries would show up as duplicates now
            total, distinct = stack.effects()
            return {
                "interactions": result["created"],
                "faults": faults,
                "lost": result["created"] - distinct,
                "duplicated": total - distinct,
            }
        finally:
            stack.stop()


def run(quick: bool = False) -> dict[str, Any]:
    """1 and 2 workers at one size, then the fault run; loss and duplicates summed over every run."""
    count = 1_500 if quick else 8_000
    pool = record_pool(500 if quick else 2000)
    one = throughput(pool, count, 1)
    two = throughput(pool, count, 2)
    fault = fault_run(pool, count)
    runs = [one, two, fault]
    return {
        "throughput_1_worker": one["interactions_per_s"],
        "throughput_2_workers": two["interactions_per_s"],
        "ratio": round(two["interactions_per_s"] / one["interactions_per_s"], 2),
        "drain_1_worker": one["drain_interactions_per_s"],
        "drain_2_workers": two["drain_interactions_per_s"],
        "lost": sum(r["lost"] for r in runs),
        "duplicated": sum(r["duplicated"] for r in runs),
        "runs": runs,
        "consumer": "measured: per interaction, read it with its turn count and insert one effect row",
        "setup": "PostgreSQL 15 + private nats-server 2.9 (JetStream, file store); 1 uvicorn API process in NATS mode",
        "machine_note": "2 cores shared by API, workers, PostgreSQL, NATS and the client",
    }
