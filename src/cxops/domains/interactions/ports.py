"""Ports the interactions domain needs from elsewhere; entrypoints bind implementations."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session


class Redactor(Protocol):
    """Removes personal data from turn text at ingestion (bound by the trust domain's privacy module)."""

    def redact(self, text: str) -> str:
        """The text with personal data replaced by typed placeholders such as [EMAIL]."""
        ...

    def keep_originals(
        self, session: Session, *, org_id: uuid.UUID, interaction_id: uuid.UUID, originals: list[tuple[int, str]]
    ) -> None:
        """Store (turn seq, original text) pairs in the restricted store, if that mode is on."""
        ...
