"""A small client for any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp server, Ollama, LiteLLM...).

`POST {base_url}/chat/completions` with `{"model", "messages", "max_tokens", "temperature"}`; the answer is
`choices[0].message.content`. Connection errors, timeouts, 429 and 5xx are retried with exponential backoff and
jitter (a `Retry-After` in seconds is honoured, capped); other 4xx are not retried. Every failure is an `LlmError`
whose message says what went wrong and where (the URL without credentials), never the prompt or the key.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 10.0


class LlmError(Exception):
    """The endpoint could not give a completion; `message` says why (safe to store and show)."""

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


class ChatClient:
    """Chat completions from an OpenAI-compatible endpoint, with a timeout per attempt and bounded retries."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout_s: float = 20.0,
        retries: int = 2,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise LlmError(f"CXOPS_LLM_URL must start with http:// or https://, got {base_url[:40]!r}")
        if retries < 0 or timeout_s <= 0:
            raise LlmError("retries must be >= 0 and timeout_s > 0")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model or "default"
        self._retries = retries
        self._backoff = backoff_s
        self._sleep = sleep
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s), headers=headers, transport=transport)

    def close(self) -> None:
        self._client.close()

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 300, temperature: float = 0.2) -> str:
        """The assistant's reply to `messages`; raises LlmError after the retries are spent."""
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature}
        attempt = 0
        while True:
            try:
                return self._once(body)
            except LlmError as exc:
                if not exc.retryable or attempt >= self._retries:
                    if attempt:
                        raise LlmError(f"{exc.message} (after {attempt + 1} attempts)") from None
                    raise
                delay = exc.retry_after or self._backoff * (2**attempt) * (0.5 + random.random())
                log.info("LLM call failed, retrying", extra={"attempt": attempt + 1, "delay_s": round(delay, 2)})
                self._sleep(delay)
                attempt += 1

    def _once(self, body: dict[str, Any]) -> str:
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException:
            raise LlmError(f"LLM endpoint {_safe(self.url)} timed out", retryable=True) from None
        except httpx.HTTPError as exc:
            raise LlmError(
                f"LLM endpoint {_safe(self.url)} unreachable: {type(exc).__name__}", retryable=True
            ) from None
        if response.status_code != 200:
            detail = _error_detail(response)
            raise LlmError(
                f"LLM endpoint {_safe(self.url)} answered HTTP {response.status_code}{detail}",
                retryable=response.status_code in RETRY_STATUSES,
                retry_after=_retry_after(response),
            )
        try:
            data = response.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LlmError(
                f"LLM endpoint {_safe(self.url)} sent no choices[0].message.content in its JSON answer"
            ) from None
        if not isinstance(content, str) or not content.strip():
            raise LlmError(f"LLM endpoint {_safe(self.url)} sent an empty completion")
        return content.strip()


def _safe(url: str) -> str:
    """The URL without user information."""
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rsplit('@', 1)[-1]}{slash}{path}"


def _error_detail(response: httpx.Response) -> str:
    """': <the endpoint's error message>' (OpenAI error shape), at most 200 characters, or ''."""
    try:
        data = response.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error if isinstance(error, str) else None
    return f": {str(message)[:200]}" if message else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S) if value else None
    except ValueError:
        return None
