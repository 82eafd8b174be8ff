"""The base of event payloads: pure pydantic, importable by contracts and compute code."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel


class DomainEvent(BaseModel):
    """Base of event payloads; subclasses (in contracts/) set `event_type`."""

    event_type: ClassVar[str] = "event"
