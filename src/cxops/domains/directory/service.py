"""Rules of the directory domain: creating structure with references checked."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxops.core.db import savepoint
from cxops.core.errors import Conflict, NotFound, ValidationFailed
from cxops.core.repository import by_codes
from cxops.domains.directory import schemas
from cxops.domains.directory.models import Agent, Location, Queue, Region, Team


def _ref(session: Session, model: Any, org_id: uuid.UUID, code: str, field: str) -> Any:
    row = by_codes(session, model, org_id, [code]).get(code)
    if row is None:
        raise NotFound(f"{field} {code!r} does not exist", field=field)
    return row


def _add(session: Session, row: Any, what: str, code: str) -> Any:
    session.add(row)
    try:
        with savepoint(session):
            session.flush([row])
    except IntegrityError:
        raise Conflict(f"{what} with code {code!r} already exists", field="code") from None
    return row


def create_region(session: Session, *, org_id: uuid.UUID, data: schemas.RegionCreate) -> Region:
    """Create a region."""
    return _add(session, Region(org_id=org_id, code=data.code, name=data.name), "region", data.code)


def create_location(session: Session, *, org_id: uuid.UUID, data: schemas.LocationCreate) -> Location:
    """Create a site in an existing region."""
    region = _ref(session, Region, org_id, data.region, "region")
    row = Location(org_id=org_id, code=data.code, name=data.name, region_id=region.id, timezone=data.timezone)
    return _add(session, row, "location", data.code)


def create_team(session: Session, *, org_id: uuid.UUID, data: schemas.TeamCreate) -> Team:
    """Create a team at an existing site."""
    loc = _ref(session, Location, org_id, data.location, "location")
    return _add(session, Team(org_id=org_id, code=data.code, name=data.name, location_id=loc.id), "team", data.code)


def create_agent(session: Session, *, org_id: uuid.UUID, data: schemas.AgentCreate) -> Agent:
    """Create a human or AI agent, optionally in a team."""
    team_id = _ref(session, Team, org_id, data.team, "team").id if data.team else None
    row = Agent(
        org_id=org_id,
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        team_id=team_id,
        skills=list(data.skills),
        status="active",
        auto_created=False,
    )
    return _add(session, row, "agent", data.code)


def update_agent(session: Session, *, agent: Agent, data: schemas.AgentUpdate) -> Agent:
    """Change an agent's name, team, skills or status."""
    if data.team is not None:
        agent.team_id = _ref(session, Team, agent.org_id, data.team, "team").id
    if data.name is not None:
        agent.name = data.name
    if data.skills is not None:
        agent.skills = list(data.skills)
    if data.status is not None:
        agent.status = data.status
    agent.auto_created = False
    return agent


def create_queue(session: Session, *, org_id: uuid.UUID, data: schemas.QueueCreate) -> Queue:
    """Create a queue with its service-level target."""
    row = Queue(
        org_id=org_id,
        code=data.code,
        name=data.name,
        channel=data.channel.value,
        sl_target_pct=data.sl_target_pct,
        sl_threshold_s=data.sl_threshold_s,
        auto_created=False,
    )
    return _add(session, row, "queue", data.code)


def set_agent_status(session: Session, *, org_id: uuid.UUID, code: str, status: str) -> Agent:
    """Pause, resume or deactivate an agent by code (e.g. pull an AI agent out of automation)."""
    if status not in ("active", "inactive", "paused"):
        raise ValidationFailed(f"unknown agent status {status!r}", field="status")
    agent = _ref(session, Agent, org_id, code, "agent")
    agent.status = status
    return agent
