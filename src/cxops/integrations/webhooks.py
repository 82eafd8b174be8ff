"""Outgoing JSON webhooks for workflow steps: HMAC-signed, with timeouts and bounded retries."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson

from cxops.domains.workflows.ports import Delivery
from cxops.integrations.connectors.webhook import sign

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class HttpWebhookSender:
    """Implements workflows' WebhookSender with httpx; never raises for network errors."""

    def __init__(self, *, backoff_s: float = 0.2, transport: httpx.BaseTransport | None = None) -> None:
        self.backoff_s = backoff_s
        self._client = httpx.Client(transport=transport, follow_redirects=False)

    def send(
        self,
        *,
        url: str,
        body: dict[str, Any],
        secret: str | None,
        timeout_s: float,
        attempts: int,
        idempotency_key: str,
    ) -> Delivery:
        payload = orjson.dumps(body)
        error: str | None = None
        status: int | None = None
        for attempt in range(1, max(1, attempts) + 1):
            ts = int(time.time())
            headers = {
                "content-type": "application/json",
                "idempotency-key": idempotency_key,
                "x-cxops-timestamp": str(ts),
            }
            if secret:
                headers["x-cxops-signature"] = sign(secret, ts, payload)
            try:
                resp = self._client.post(url, content=payload, headers=headers, timeout=timeout_s)
                status = resp.status_code
                if resp.is_success:
                    return Delivery(True, attempt, status, None)
                error = f"HTTP {status}"
                if status not in RETRYABLE:
                    return Delivery(False, attempt, status, error)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
            if attempt < attempts:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
        return Delivery(False, max(1, attempts), status, error)
