"""Loading the generated demo: the directory through the directory service, interactions through the batch
ingestor, agent states through the interactions repository. Idempotent: a second run adds nothing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys
from cxops.core.auth import Role, hash_secret
from cxops.core.config import Settings
from cxops.core.db import refresh_statistics, unit_of_work
from cxops.core.models import ApiKey
from cxops.core.repository import by_codes
from cxops.domains.directory import schemas as dir_schemas
from cxops.domains.directory import service as dir_service
from cxops.domains.directory.public import Agent, Location, Queue, Region, Team, ensure_agents
from cxops.domains.interactions import repository as interactions_repo
from cxops.domains.interactions.ports import Redactor
from cxops.domains.interactions.public import BatchIngestor, Interaction, parse_obj
from cxops.domains.knowledge import repository as knowledge_repo
from cxops.domains.knowledge import schemas as knowledge_schemas
from cxops.domains.knowledge import service as knowledge_service
from cxops.domains.knowledge.public import Embedder
from cxops.integrations.demo import DemoDay
from cxops.integrations.demo.help_centre import write_help_centre

STATE_CHUNK = 2000
ADMIN_KEY_NAME = "demo-admin"

# (spec key, model, create schema, service function), in dependency order
_DIRECTORY: tuple[tuple[str, Any, Any, Any], ...] = (
    ("regions", Region, dir_schemas.RegionCreate, dir_service.create_region),
    ("locations", Location, dir_schemas.LocationCreate, dir_service.create_location),
    ("teams", Team, dir_schemas.TeamCreate, dir_service.create_team),
    ("agents", Agent, dir_schemas.AgentCreate, dir_service.create_agent),
    ("queues", Queue, dir_schemas.QueueCreate, dir_service.create_queue),
)


@dataclass
class LoadSummary:
    """What a load did: directory rows created, interactions by status, state events created."""

    directory_created: int = 0
    interactions_created: int = 0
    interactions_unchanged: int = 0
    interactions_failed: int = 0
    states_created: int = 0
    days: int = 0


def load_directory(session: Session, *, org_id: uuid.UUID, spec: dict[str, list[dict[str, Any]]]) -> int:
    """Create the regions, sites, teams, agents and queues of `spec` whose codes do not exist yet."""
    created = 0
    for key, model, schema, create in _DIRECTORY:
        items = spec.get(key, [])
        existing = by_codes(session, model, org_id, [item["code"] for item in items])
        for item in items:
            if item["code"] not in existing:
                create(session, org_id=org_id, data=schema.model_validate(item))
                created += 1
    return created


def load_day(
    factory: sessionmaker[Session],
    *,
    org_id: uuid.UUID,
    day: DemoDay,
    summary: LoadSummary,
    redactor: Redactor | None = None,
) -> None:
    """Ingest one generated day: interactions in batches (idempotent, redacted like any ingestion), then states."""
    ingestor = BatchIngestor(factory, org_id, batch_size=500, redactor=redactor)
    for line, record in enumerate(day.interactions, start=1):
        ingestor.add(parse_obj(line, record), line)
    ingestor.flush()
    s = ingestor.summary
    summary.interactions_created += s.created + s.updated
    summary.interactions_unchanged += s.unchanged
    summary.interactions_failed += s.failed
    with unit_of_work(factory) as session:
        summary.states_created += insert_states(session, org_id=org_id, events=day.states)
    summary.days += 1


def insert_states(session: Session, *, org_id: uuid.UUID, events: list[dict[str, Any]]) -> int:
    """Insert AgentStateEventIn-shaped dicts (agent by code), ignoring exact repeats; returns how many were new."""
    if not events:
        return 0
    agents = ensure_agents(session, org_id, {e["agent"]: "human" for e in events})
    created = 0
    for i in range(0, len(events), STATE_CHUNK):
        rows = [
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "agent_id": agents[e["agent"]].id,
                "state": e["state"],
                "started_at": _parse_time(e["started_at"]),
                "source": e["source"],
            }
            for e in events[i : i + STATE_CHUNK]
        ]
        created += interactions_repo.insert_states(session, rows)
    return created


def _parse_time(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def load_demo(
    factory: sessionmaker[Session],
    *,
    org_id: uuid.UUID,
    spec: dict[str, list[dict[str, Any]]],
    days: Iterable[DemoDay],
    on_day: Callable[[DemoDay, LoadSummary], None] | None = None,
    redactor: Redactor | None = None,
) -> LoadSummary:
    """Load the directory and then each day; call `on_day` after each."""
    summary = LoadSummary()
    with unit_of_work(factory) as session:
        summary.directory_created = load_directory(session, org_id=org_id, spec=spec)
    for day in days:
        load_day(factory, org_id=org_id, day=day, summary=summary, redactor=redactor)
        if on_day is not None:
            on_day(day, summary)
    refresh_statistics(factory.kw["bind"])  # the event consumers' first queries run against the fresh tables
    return summary


def already_loaded(session: Session, *, org_id: uuid.UUID, source: str) -> bool:
    """Whether demo interactions from `source` exist in the organisation."""
    stmt = select(Interaction.id).where(Interaction.org_id == org_id, Interaction.source == source).limit(1)
    return session.scalar(stmt) is not None


def ensure_admin_key(session: Session, *, org_id: uuid.UUID, path: Path) -> bool:
    """Keep the admin key in `path` if it is still valid, else create one and write it (mode 0600).

    Returns True when a new key was created.
    """
    if path.exists():
        secret = path.read_text().strip()
        row = session.scalar(select(ApiKey).where(ApiKey.secret_hash == hash_secret(secret), ApiKey.org_id == org_id))
        if row is not None and row.revoked_at is None:
            return False
    _, secret = keys.create_key(session, org_id=org_id, role=Role.ADMIN, name=ADMIN_KEY_NAME)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    path.chmod(0o600)
    return True


DEMO_HELP_SOURCE = "demo-help-centre"


def ensure_demo_knowledge(
    factory: sessionmaker[Session], *, org_id: uuid.UUID, org_slug: str, settings: Settings, embedder: Embedder | None
) -> int:
    """The demo's help centre as a knowledge source of the organisation, synced once; returns articles added.

    The articles are written into the organisation's own knowledge folder (inside CXOPS_KNOWLEDGE_ROOTS), so the
    source can be managed from the console like any other.
    """
    with unit_of_work(factory) as session:
        if knowledge_repo.source_by_name(session, org_id, DEMO_HELP_SOURCE) is not None:
            return 0
    folder = settings.knowledge_roots_for(org_slug)[0] / "help-centre"
    write_help_centre(folder)
    with unit_of_work(factory) as session:
        data = knowledge_schemas.SourceCreate(name=DEMO_HELP_SOURCE, kind="markdown", path=str(folder), owner="cx-ops")
        source = knowledge_service.create_source(session, org_id=org_id, data=data)
        run = knowledge_service.sync(session, org_id=org_id, source_id=source.id, embedder=embedder)
        return int(run.added)
