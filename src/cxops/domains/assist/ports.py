"""What real-time assist needs from outside the domain, as Protocols (entrypoints/assist_wiring.py binds them)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from cxops.domains.assist.compute.intents import IntentModel


class Encoder(Protocol):
    """The sentence encoder: L2-normalised float32 vectors (the packaged MiniLM in production)."""

    model_id: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) unit vectors."""
        ...


class TrustLookup(Protocol):
    """The customer's routing advice and consented memory, or None when the trust domain knows nothing."""

    def __call__(self, session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any] | None: ...


class TextRedactor(Protocol):
    """Removes personal data from a turn's text before it is stored."""

    def redact(self, text: str) -> str: ...


@dataclass
class AssistPorts:
    """The adapters of one process: the encoder, the intent model loader (called once), trust, redaction."""

    encoder: Encoder | None
    intent_model: Callable[[], IntentModel | None]
    trust: TrustLookup | None = None
    redactor: TextRedactor | None = None


class BoardRelay(Protocol):
    """Carries supervisor-board envelopes between the API processes (NATS in production; none on one process).

    An envelope is `{"origin", "org_id", "team_id", "frame"}`; `deliver` may be called from any thread, with the
    process's own envelopes too (the engine ignores its own origin)."""

    def open(self, deliver: Callable[[dict[str, Any]], None]) -> None: ...

    def publish(self, envelope: dict[str, Any]) -> None: ...

    def close(self) -> None: ...
