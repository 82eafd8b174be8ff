"""Fault tests against real services: a worker killed with SIGKILL mid-batch, and NATS killed and restarted while
events are being published. After each: every committed event applied exactly once (no loss, no double effect)."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.events import InteractionsEnded
from cxops.core import keys
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.events import emit
from cxops.core.migrate import upgrade
from cxops.core.models import EventConsumption, OutboxEvent
from tests.integration.bus import private_pg
from tests.integration.bus.conftest import PrivateNats, create_effect_table, effect_counts, needs_nats_server

pytestmark = [pytest.mark.nats, pytest.mark.slow, needs_nats_server]

WORKER = Path(__file__).with_name("worker_proc.py")
REPO = Path(__file__).resolve().parents[3]
ITEMS = 4
LOGS: dict[int, Path] = {}


def _worker(db_url: str, nats_url: str, stream: str, delay: float) -> subprocess.Popen[bytes]:
    """A worker process; its log goes to a file (a pipe nobody reads could fill and block it)."""
    args = [sys.executable, str(WORKER), db_url, nats_url, stream, str(delay)]
    log = tempfile.NamedTemporaryFile(prefix="cxops-worker-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log)
    LOGS[proc.pid] = Path(log.name)
    log.close()
    return proc


def _emit(factory: sessionmaker[Session], n: int) -> None:
    with unit_of_work(factory) as s:
        org = keys.ensure_organisation(s, slug="acme").id
        for k in range(n):
            ids = [f"e{k}-{j}" for j in range(ITEMS)]
            emit(s, org_id=org, event=InteractionsEnded(interaction_ids=ids, source="fault"))


def _consumed(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(EventConsumption)) or 0)


def _pending(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).where(OutboxEvent.published_at.is_(None))) or 0)


def _wait_until(predicate, timeout: float, what: str, procs: list[subprocess.Popen[bytes]]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        for p in procs:
            if p.poll() is not None:
                err = LOGS[p.pid].read_text(errors="replace")[-2000:]
                raise AssertionError(f"worker exited ({p.returncode}) while waiting for {what}: {err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
        LOGS.pop(p.pid, Path("/nonexistent")).unlink(missing_ok=True)


def _assert_exactly_once(factory: sessionmaker[Session], events: int) -> None:
    with factory() as s:
        assert s.scalar(select(func.count()).where(OutboxEvent.published_at.is_(None))) == 0
    assert _consumed(factory) == events
    assert effect_counts(factory) == (events * ITEMS, events * ITEMS)


def test_worker_killed_mid_batch_loses_nothing_and_applies_nothing_twice(
    session_factory: sessionmaker[Session], db_url: str, private_nats: PrivateNats
) -> None:
    create_effect_table(session_factory)
    events = 120
    _emit(session_factory, events)
    stream = f"F{uuid.uuid4().hex[:8]}"
    first = _worker(db_url, private_nats.url, stream, delay=0.01)
    procs = [first]
    try:
        _wait_until(lambda: _consumed(session_factory) >= 20, 60, "the first worker to apply 20 events", procs)
        first.send_signal(signal.SIGKILL)  # mid-batch: the worker fetches 8 at a time
        first.wait(10)
        assert _consumed(session_factory) < events, "the worker finished before it could be killed"
        second = _worker(db_url, private_nats.url, stream, delay=0.0)
        procs = [second]
        _wait_until(lambda: _consumed(session_factory) >= events, 90, "the second worker to finish", procs)
        time.sleep(0.5)  # any late double application would show now
        _assert_exactly_once(session_factory, events)
    finally:
        _stop(procs)


def test_nats_killed_and_restarted_during_publishing_loses_nothing(
    session_factory: sessionmaker[Session], db_url: str, private_nats: PrivateNats
) -> None:
    create_effect_table(session_factory)
    stream = f"F{uuid.uuid4().hex[:8]}"
    procs = [_worker(db_url, private_nats.url, stream, delay=0.0), _worker(db_url, private_nats.url, stream, 0.0)]
    try:
        total = 0
        for round_ in range(6):
            _emit(session_factory, 15)
            total += 15
            if round_ == 2:
                private_nats.kill(signal.SIGKILL)
                time.sleep(1.0)  # publishing goes on against a dead server: rows stay pending in the outbox
                _emit(session_factory, 15)
                total += 15
                time.sleep(0.5)
                assert _pending(session_factory) > 0, "events were marked published while NATS was down"
                private_nats.start()
            time.sleep(0.2)
        _wait_until(lambda: _consumed(session_factory) >= total, 90, "all events after the restart", procs)
        time.sleep(0.5)
        _assert_exactly_once(session_factory, total)
    finally:
        _stop(procs)


@pytest.mark.skipif(not private_pg.available(), reason="needs PostgreSQL 15 binaries and root to run them as postgres")
def test_postgres_crashed_and_restarted_during_ingestion_loses_nothing(private_nats: PrivateNats) -> None:
    pg = private_pg.PrivatePostgres.create()
    pg.start()
    engine = make_engine(pg.url)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        create_effect_table(factory)
        stream = f"F{uuid.uuid4().hex[:8]}"
        procs = [_worker(pg.url, private_nats.url, stream, 0.0), _worker(pg.url, private_nats.url, stream, 0.0)]
        try:
            total, refused = 0, 0
            for round_ in range(6):
                if round_ == 2:
                    pg.stop("immediate")  # a crash: no checkpoint, recovery at the next start
                try:
                    _emit(factory, 15)
                    total += 15
                except OperationalError:
                    refused += 1  # the client saw the failure: nothing was acknowledged to it
                if round_ == 2:
                    time.sleep(1.0)
                    pg.start()
                time.sleep(0.2)
            assert refused == 1
            _wait_until(lambda: _consumed(factory) >= total, 90, "all events after the database restart", procs)
            time.sleep(0.5)
            _assert_exactly_once(factory, total)
        finally:
            _stop(procs)
    finally:
        engine.dispose()
        pg.destroy()
