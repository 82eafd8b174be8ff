"""The HTTP webhook connector against a real local HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cxops.core.errors import NotFound
from cxops.domains.actions.errors import ActionRefused, ConnectorFailed, ConnectorTimeout
from cxops.integrations.connectors.webhook import WebhookConnector, verify_signature

SECRET = "s3cret"


class Remote:
    """A scripted remote system: each POST pops the next behaviour."""

    def __init__(self) -> None:
        self.script: list[tuple[str, object]] = []
        self.calls: list[dict[str, object]] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                ok = verify_signature(
                    SECRET, self.headers["x-cxops-timestamp"], body, self.headers["x-cxops-signature"]
                )
                remote.calls.append({"path": self.path, "body": json.loads(body), "signed": ok})
                kind, value = remote.script.pop(0) if remote.script else ("json", (200, {"ok": True, "result": {}}))
                if kind == "sleep":
                    time.sleep(float(value))  # type: ignore[arg-type]
                    kind, value = "json", (200, {"ok": True})
                status, payload = value if kind == "json" else (200, None)  # type: ignore[misc]
                raw = json.dumps(payload).encode() if kind == "json" else str(value).encode()
                self.send_response(status)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def remote():
    r = Remote()
    yield r
    r.server.shutdown()
    r.server.server_close()


def connector(remote: Remote, **kw: object) -> WebhookConnector:
    opts = {"timeout_s": 0.3, "attempts": 3, "backoff_s": 0.01, **kw}
    return WebhookConnector(name="erp", base_url=remote.url, secret=SECRET, **opts)  # type: ignore[arg-type]


ORG = uuid.uuid4()


def test_signed_execute_and_state(remote):
    remote.script = [
        ("json", (200, {"ok": True, "state": {"status": "open", "customer_id": "c1"}})),
        ("json", (200, {"ok": True, "result": {"refund": 10}})),
    ]
    c = connector(remote)
    assert c.read_state(org_id=ORG, action="refund", params={"x": 1}, context={})["status"] == "open"
    assert c.execute(org_id=ORG, action="refund", params={"x": 1}, idempotency_key="k1") == {"result": {"refund": 10}}
    assert [call["signed"] for call in remote.calls] == [True, True]
    assert remote.calls[1]["path"] == "/execute" and remote.calls[1]["body"]["idempotency_key"] == "k1"


def test_retries_5xx_with_same_idempotency_key(remote):
    remote.script = [("json", (503, {"ok": False})), ("json", (200, {"ok": True, "result": {"done": True}}))]
    assert connector(remote).execute(org_id=ORG, action="a", params={}, idempotency_key="same")["result"] == {
        "done": True
    }
    assert [c["body"]["idempotency_key"] for c in remote.calls] == ["same", "same"]


def test_timeout_after_bounded_retries(remote):
    remote.script = [("sleep", 1.0), ("sleep", 1.0)]
    with pytest.raises(ConnectorTimeout, match=r"timed out after 0.3s on /execute \(2/2 attempts\)"):
        connector(remote, attempts=2).execute(org_id=ORG, action="a", params={}, idempotency_key="k")
    assert len(remote.calls) == 2


@pytest.mark.parametrize(
    "answer", [("raw", "<html>oops</html>"), ("json", (200, [1, 2])), ("json", (200, {"result": 1}))]
)
def test_garbage_answers(remote, answer):
    remote.script = [answer]
    with pytest.raises(ConnectorFailed, match="garbage"):
        connector(remote).execute(org_id=ORG, action="a", params={}, idempotency_key="k")
    assert len(remote.calls) == 1  # garbage is not retried: the remote may have acted


def test_4xx_is_not_retried(remote):
    remote.script = [("json", (409, {"ok": False, "error": "already refunded"}))]
    with pytest.raises(ActionRefused, match="already refunded"):
        connector(remote).execute(org_id=ORG, action="a", params={}, idempotency_key="k")
    remote.script = [("json", (404, {"ok": False, "error": "no such order"}))]
    with pytest.raises(NotFound, match="no such order"):
        connector(remote).read_state(org_id=ORG, action="a", params={}, context={})
    assert len(remote.calls) == 2


def test_unreachable_and_signature_checks():
    c = WebhookConnector(
        name="erp", base_url="http://127.0.0.1:9", secret=SECRET, timeout_s=0.2, attempts=2, backoff_s=0.01
    )
    with pytest.raises(ConnectorFailed, match="unreachable"):
        c.execute(org_id=ORG, action="a", params={}, idempotency_key="k")
    assert not verify_signature(SECRET, str(int(time.time()) - 3600), b"{}", "sha256=00")
    with pytest.raises(ValueError, match="secret"):
        WebhookConnector(name="x", base_url="http://127.0.0.1:9", secret="")
