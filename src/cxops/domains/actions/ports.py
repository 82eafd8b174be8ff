"""Ports the actions domain needs from elsewhere; entrypoints bind implementations (integrations/)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol


class Connector(Protocol):
    """Executes actions against a system of record and reads the target entity's current state."""

    name: str

    def read_state(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], context: dict[str, Any]
    ) -> dict[str, Any]:
        """Facts about the entity the action targets; raises NotFound if it does not exist."""
        ...

    def execute(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        """Perform the action; returns its outcome. Raises ConnectorFailed/ConnectorTimeout/ActionRefused."""
        ...

    def compensate(
        self, *, org_id: uuid.UUID, action: str, params: dict[str, Any], outcome: dict[str, Any]
    ) -> dict[str, Any]:
        """Undo a completed action using the outcome `execute` returned."""
        ...


@dataclass(frozen=True, slots=True)
class TrustState:
    """What the actions domain needs to know of a customer's trust state."""

    poor_experience_count: int = 0
    automation_averse: bool = False


class TrustStateProvider(Protocol):
    """Gives a customer's trust state (bound by entrypoints to the trust domain; neutral by default)."""

    def trust_state(self, *, org_id: uuid.UUID, customer_ref: str | None) -> TrustState:
        """The customer's current trust state."""
        ...


class NeutralTrust:
    """Default binding: no poor experiences known, not automation-averse."""

    def trust_state(self, *, org_id: uuid.UUID, customer_ref: str | None) -> TrustState:
        return TrustState()
