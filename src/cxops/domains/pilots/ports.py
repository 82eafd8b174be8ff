"""What pilots need from elsewhere, bound by entrypoints."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session


class TrustEffects(Protocol):
    """Share of customers in an automation-averse state (trust domain), for a set of customers."""

    def averse_share(self, session: Session, *, org_id: uuid.UUID, customer_ids: list[uuid.UUID]) -> float | None:
        """Share in [0, 1] of these customers currently automation-averse, or None if unknown."""
        ...
