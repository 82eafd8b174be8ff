"""What the NATS bus needs to know: server URL, stream and subject names, redelivery bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxops.core.config import Settings

_DURABLE_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class NatsBusConfig:
    """Names and bounds of one bus; tests use their own stream and prefix so runs never collide."""

    url: str
    stream: str = "CXOPS_EVENTS"
    prefix: str = "cxops"
    max_deliver: int = 5
    ack_wait_s: float = 30.0
    max_age_s: float = 7 * 24 * 3600.0
    duplicate_window_s: float = 120.0
    relay_batch: int = 500
    fetch_batch: int = 8  # events carry whole ingestion batches: small fetches spread them over workers
    poll_s: float = 0.2

    @property
    def events_subject(self) -> str:
        return f"{self.prefix}.events.>"

    @property
    def dlq_stream(self) -> str:
        return f"{self.stream}_DLQ"

    def event_subject(self, event_type: str) -> str:
        """Subject of one event type: `<prefix>.events.<type>` (event types are dotted tokens)."""
        return f"{self.prefix}.events.{event_type}"

    def dlq_subject(self, consumer: str) -> str:
        """Dead-letter subject of one consumer: `<prefix>.dlq.<consumer>`."""
        return f"{self.prefix}.dlq.{durable_name(consumer)}"

    def durable(self, consumer: str) -> str:
        """Durable consumer name on the server (one per consumer name, shared by every worker process)."""
        return f"{self.stream}_{durable_name(consumer)}"

    @classmethod
    def from_settings(cls, settings: Settings) -> NatsBusConfig:
        """The bus of this process's settings (CXOPS_NATS_URL, CXOPS_NATS_STREAM, ...)."""
        return cls(
            url=settings.nats_url,
            stream=settings.nats_stream,
            max_deliver=settings.nats_max_deliver,
            ack_wait_s=settings.nats_ack_wait_seconds,
        )


def durable_name(consumer: str) -> str:
    """A consumer name made safe as a NATS durable name and subject token."""
    return _DURABLE_UNSAFE.sub("_", consumer) or "_"


def safe_url(url: str) -> str:
    """A server URL (or comma-separated list) with any password replaced by ***."""
    out = []
    for part in url.split(","):
        if "@" in part and "://" in part:
            scheme, rest = part.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            part = f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://***@{host}"
        out.append(part)
    return ",".join(out)
