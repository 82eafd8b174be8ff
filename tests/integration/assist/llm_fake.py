"""A fake OpenAI-compatible server for tests: a real HTTP server on a free loopback port, in a thread.

`FakeLlm.script` is a list of behaviours consumed one per request (the last one repeats): "ok", "slow",
"500", "429", "401", "garbage", "empty". Every request body is recorded in `FakeLlm.requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLlm:
    def __init__(self) -> None:
        self.script: list[str] = ["ok"]
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.slow_s = 2.0
        self.url = ""

    def next(self) -> str:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _handler(fake: FakeLlm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            if self.path != "/v1/chat/completions":
                self._send(404, b'{"error": {"message": "no such route"}}')
                return
            mode = fake.next()
            if mode == "slow":
                time.sleep(fake.slow_s)
            if mode == "500":
                self._send(500, b'{"error": {"message": "model crashed"}}')
            elif mode == "429":
                self._send(429, b'{"error": {"message": "rate limited"}}', {"Retry-After": "0"})
            elif mode == "401":
                self._send(401, b'{"error": {"message": "invalid api key"}}')
            elif mode == "garbage":
                self._send(200, b"<html>not json</html>")
            else:
                words = body["messages"][-1]["content"].count("\n")
                content = "" if mode == "empty" else f"Customer asked for help; {words} transcript lines reviewed."
                answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
                self._send(200, json.dumps(answer).encode())

    return Handler


@contextmanager
def fake_llm() -> Iterator[FakeLlm]:
    fake = FakeLlm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
