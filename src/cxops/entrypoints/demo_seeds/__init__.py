"""What `cxops demo` seeds beyond interactions, so every console page has something real to show.

Each module here has one function

    seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str

that drives the capability through its own domain services (never raw inserts), is idempotent (a second call adds
nothing and says so), and returns a one-line summary for the demo's output. They run after the interactions, the
intent model and the help centre are loaded.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.entrypoints.demo_seeds import actions, documentation, knowledge, pilots, qa, wfm, workflows


class Seed(Protocol):
    def __call__(
        self, factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime
    ) -> str: ...


def ordered() -> list[tuple[str, Seed]]:
    """(what, seed) in the order they run: workflows last, since two of its rules react to the actions' events."""
    return [
        ("call documentation", documentation.seed),
        ("knowledge sources", knowledge.seed),
        ("quality", qa.seed),
        ("workforce plans", wfm.seed),
        ("pilot", pilots.seed),
        ("governed actions", actions.seed),
        ("workflow rules", workflows.seed),
    ]
