"""The OpenAI-compatible client against a real local HTTP server: success, retries with backoff, slow and
failing endpoints, refused keys, malformed answers, and nothing secret in the errors."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from cxops.integrations.llm import ChatClient, LlmError
from tests.integration.assist.llm_fake import FakeLlm, fake_llm

MESSAGES = [{"role": "system", "content": "Summarise."}, {"role": "user", "content": "line one\nline two"}]


@pytest.fixture
def fake() -> Iterator[FakeLlm]:
    with fake_llm() as f:
        yield f


def _client(fake: FakeLlm, **kw: object) -> ChatClient:
    sleeps: list[float] = []
    client = ChatClient(fake.url, "tiny-model", api_key="sk-secret", sleep=sleeps.append, **kw)  # type: ignore[arg-type]
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def test_completion_posts_the_openai_shape(fake: FakeLlm) -> None:
    client = _client(fake)
    assert client.complete(MESSAGES, max_tokens=50) == "Customer asked for help; 1 transcript lines reviewed."
    body = fake.requests[0]
    assert body["model"] == "tiny-model" and body["messages"] == MESSAGES and body["max_tokens"] == 50
    assert fake.headers[0]["Authorization"] == "Bearer sk-secret"


def test_server_errors_and_rate_limits_are_retried_with_backoff(fake: FakeLlm) -> None:
    fake.script = ["500", "429", "ok"]
    client = _client(fake, retries=2, backoff_s=0.2)
    assert client.complete(MESSAGES).startswith("Customer asked")
    assert len(fake.requests) == 3
    assert 0.1 <= client.sleeps[0] <= 0.3  # type: ignore[attr-defined]  # backoff * jitter in [0.5, 1.5)


def test_persistent_failure_names_the_status_and_attempts(fake: FakeLlm) -> None:
    fake.script = ["500"]
    with pytest.raises(LlmError) as err:
        _client(fake, retries=2, backoff_s=0).complete(MESSAGES)
    assert "HTTP 500: model crashed (after 3 attempts)" in err.value.message
    assert "sk-secret" not in err.value.message and len(fake.requests) == 3


def test_refused_key_is_not_retried(fake: FakeLlm) -> None:
    fake.script = ["401"]
    with pytest.raises(LlmError, match="HTTP 401: invalid api key"):
        _client(fake).complete(MESSAGES)
    assert len(fake.requests) == 1


def test_slow_server_times_out_within_the_budget(fake: FakeLlm) -> None:
    fake.script, fake.slow_s = ["slow"], 3.0
    started = time.monotonic()
    with pytest.raises(LlmError, match=r"timed out \(after 2 attempts\)"):
        _client(fake, timeout_s=0.3, retries=1, backoff_s=0).complete(MESSAGES)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(("mode", "message"), [("garbage", "no choices"), ("empty", "empty completion")])
def test_malformed_answers_are_clear_errors(fake: FakeLlm, mode: str, message: str) -> None:
    fake.script = [mode]
    with pytest.raises(LlmError, match=message):
        _client(fake).complete(MESSAGES)


def test_unreachable_endpoint_and_bad_url() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = ChatClient(f"http://user:pw@127.0.0.1:{port}/v1", "m", retries=1, backoff_s=0, sleep=lambda _: None)
    with pytest.raises(LlmError, match="unreachable: ConnectError") as err:
        client.complete(MESSAGES)
    assert "pw" not in err.value.message
    with pytest.raises(LlmError, match="must start with http"):
        ChatClient("ftp://x", "m")
