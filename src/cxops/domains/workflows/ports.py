"""What workflows need from outside, bound by entrypoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Delivery:
    ok: bool
    attempts: int
    status: int | None
    error: str | None


class WebhookSender(Protocol):
    """POSTs a JSON body (HMAC-signed when a secret is given) with a timeout and bounded retries."""

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
        """Deliver once, retrying transient failures; never raises for network errors."""
        ...
