"""Fault test: the API process executing governed actions is killed with SIGKILL while an action is being applied at
the system of record (a signed webhook to a test-owned server that applies it, then holds its answer), restarted,
and every request is retried with its idempotency key. Nothing is applied twice at the system of record, every
acknowledged action stays recorded, the interrupted one ends recorded as executed, and the audit chain verifies."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.domains.actions import audit
from cxops.domains.actions.models import ActionProposal, AuditEntry
from cxops.integrations.connectors.webhook import verify_signature
from tests.conftest import auth, make_org_keys

pytestmark = pytest.mark.slow

API = Path(__file__).with_name("api_proc.py")
REPO = Path(__file__).resolve().parents[3]
TICKETS = [f"T{i}" for i in range(8)]
HELD = "T4"  # the kill lands while this one is being applied


class SystemOfRecord:
    """Applies each refund once per idempotency key (as the webhook protocol asks); counts every application.
    The execution of HELD is applied, then its answer is held until `release` is set."""

    def __init__(self) -> None:
        self.applied: Counter[str] = Counter()
        self.keys: dict[str, dict[str, Any]] = {}
        self.forged = 0
        self.held = threading.Event()
        self.release = threading.Event()
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _send(self, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                ts, sig = self.headers.get("x-cxops-timestamp", ""), self.headers.get("x-cxops-signature", "")
                if not verify_signature("fault-test", ts, body, sig):
                    outer.forged += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                req = json.loads(body)
                if self.path == "/state":
                    self._send({"ok": True, "state": {}})
                    return
                if self.path != "/execute":
                    self._send({"ok": False, "error": f"unexpected {self.path}"})
                    return
                ticket, key = req["params"]["ticket"], req["idempotency_key"]
                with lock:
                    first = outer.keys.get(key)
                    if first is None:
                        outer.applied[ticket] += 1
                        first = outer.keys[key] = {"refund_id": f"R-{ticket}-{outer.applied[ticket]}"}
                if ticket == HELD and not outer.release.is_set():
                    outer.held.set()
                    outer.release.wait(60)  # the API process is killed meanwhile; this answer goes nowhere
                    return
                self._send({"ok": True, "result": first})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiProcess:
    def __init__(self, db_url: str, remote: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.log = Path(tempfile.mkstemp(prefix="cxops-api-", suffix=".log")[1])
        with self.log.open("wb") as log:
            args = [sys.executable, str(API), db_url, str(self.port), remote, str(data_dir)]
            self.proc = subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"API process exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"API process did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.unlink(missing_ok=True)


def _body(ticket: str) -> dict[str, Any]:
    return {
        "action": "crm_refund",
        "params": {"ticket": ticket},
        "context": {"identity_verified": True, "identity_method": "email"},
        "customer_ref": f"cust-{ticket}",
        "idempotency_key": f"refund-{ticket}",
    }


def _propose(url: str, key: str, ticket: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/actions/proposals", json=_body(ticket), headers=auth(key), timeout=60)


def _proposals(factory: sessionmaker[Session]) -> dict[str, ActionProposal]:
    with factory() as s:
        return {p.idempotency_key: p for p in s.scalars(select(ActionProposal)).all()}


def test_api_killed_mid_execution_applies_nothing_twice_and_keeps_the_chain(
    session_factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    keys = make_org_keys(session_factory, "acme")
    org_id = uuid.UUID(keys["org_id"])
    remote = SystemOfRecord()
    acked: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    api = ApiProcess(db_url, remote.url, tmp_path)
    try:

        def client() -> None:
            for ticket in TICKETS:
                try:
                    r = _propose(api.url, keys["service"], ticket)
                except httpx.HTTPError:
                    failed.append(ticket)  # the server died under this request: not acknowledged
                    return
                assert r.status_code == 200, r.text
                acked[ticket] = r.json()

        sender = threading.Thread(target=client)
        sender.start()
        assert remote.held.wait(60), "the held execution never reached the system of record"
        api.kill()  # SIGKILL while the system of record has applied HELD and cxops waits for its answer
        sender.join(30)
        assert failed == [HELD] and sorted(acked) == TICKETS[: TICKETS.index(HELD)]
        remote.release.set()

        before = _proposals(session_factory)
        for ticket, body in acked.items():  # every acknowledged action is recorded as the client was told
            row = before[f"refund-{ticket}"]
            assert str(row.id) == body["id"] and row.status == body["status"] == "executed"
        interrupted = before.get(f"refund-{HELD}")
        assert interrupted is not None, "the interrupted execution was recorded neither as done nor as pending"
        assert interrupted.status == "executing"

        api = ApiProcess(db_url, remote.url, tmp_path)
        retried = {t: _propose(api.url, keys["service"], t) for t in TICKETS}  # the client retries everything
        for ticket, r in retried.items():
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["status"] == "executed"
            assert body["results"][0]["result"]["refund_id"] == f"R-{ticket}-1"
            if ticket in acked:
                assert body["replayed"] is True and body["id"] == acked[ticket]["id"]
        assert retried[HELD].json()["id"] == str(interrupted.id)
    finally:
        api.stop()
        remote.close()

    assert remote.forged == 0
    assert remote.applied == Counter(dict.fromkeys(TICKETS, 1)), (
        f"applied twice at the system of record: {remote.applied}"
    )
    after = _proposals(session_factory)
    assert sorted(after) == sorted(f"refund-{t}" for t in TICKETS)
    assert {p.status for p in after.values()} == {"executed"}
    with session_factory() as s:
        result = audit.verify(s, org_id=org_id)
        assert result["ok"] is True, result
        executions = Counter(s.scalars(select(AuditEntry.proposal_id).where(AuditEntry.kind == "execution")).all())
    assert sorted(executions.values()) == [1] * len(TICKETS), "an execution was audited twice or not at all"
