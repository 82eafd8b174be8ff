"""NATS fixtures: the shared server (CXOPS_TEST_NATS_URL) with a unique stream per test, or a private nats-server
on a free port with its own store directory for fault tests (killed and restarted without touching the shared one)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from cxops.integrations.nats.bus import connect
from cxops.integrations.nats.config import NatsBusConfig

NATS_URL = os.environ.get("CXOPS_TEST_NATS_URL", "")
NATS_BIN = shutil.which("nats-server") or "/usr/sbin/nats-server"
needs_nats = pytest.mark.skipif(
    not NATS_URL, reason="needs NATS JetStream: set CXOPS_TEST_NATS_URL (e.g. nats://127.0.0.1:4222; .ci/run sets it)"
)
needs_nats_server = pytest.mark.skipif(
    not NATS_URL or not Path(NATS_BIN).exists(),
    reason="fault tests start a private nats-server: set CXOPS_TEST_NATS_URL and install nats-server",
)


def unique_config(url: str, **overrides: float | int | str) -> NatsBusConfig:
    """A bus with its own stream and subject prefix, so concurrent runs never collide."""
    tag = uuid.uuid4().hex[:10]
    return NatsBusConfig(url=url, stream=f"T{tag}", prefix=f"t{tag}", **overrides)  # type: ignore[arg-type]


async def delete_streams(config: NatsBusConfig) -> None:
    nc = await connect(config, reconnect=False)
    js = nc.jetstream()
    for name in (config.stream, config.dlq_stream):
        with contextlib.suppress(Exception):  # the stream may not exist
            await js.delete_stream(name)
    await nc.close()


@pytest.fixture
def shared_bus_config() -> Iterator[NatsBusConfig]:
    config = unique_config(NATS_URL, ack_wait_s=1.0, max_deliver=3, poll_s=0.05)
    yield config
    asyncio.run(delete_streams(config))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class PrivateNats:
    """A nats-server of this test only; restart() keeps its port and JetStream store."""

    port: int
    store: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [NATS_BIN, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store), "-l", str(self.log)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _answers(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"private nats-server did not start; see {self.log}")
            time.sleep(0.05)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    server = PrivateNats(_free_port(), tmp_path / "js", tmp_path / "nats.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def create_effect_table(factory: sessionmaker[Session]) -> None:
    """A table the test consumers write to: one row per (event, item) applied; no unique key, so doubles show."""
    with factory() as s:
        s.execute(text("CREATE TABLE test_effect (event_id VARCHAR(36) NOT NULL, item VARCHAR(64) NOT NULL)"))
        s.commit()


def effect_counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    """(rows, distinct (event, item) pairs) in test_effect."""
    with factory() as s:
        total = s.execute(text("SELECT COUNT(*) FROM test_effect")).scalar_one()
        distinct = s.execute(
            text("SELECT COUNT(*) FROM (SELECT DISTINCT event_id, item FROM test_effect) AS d")
        ).scalar_one()
    return int(total), int(distinct)
