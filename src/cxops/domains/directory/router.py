"""HTTP routes of the directory domain."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from cxops.core.auth import MANAGERS, READERS, Principal
from cxops.core.repository import MAX_PAGE_SIZE, get_scoped
from cxops.core.web import DbSession, require
from cxops.domains.directory import repository, schemas, service
from cxops.domains.directory.models import Agent, Customer, Location, Queue, Region, Team

router = APIRouter(prefix="/v1", tags=["directory"])
Reader = Annotated[Principal, Depends(require(READERS))]
Manager = Annotated[Principal, Depends(require(MANAGERS))]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("/hierarchy")
def get_hierarchy(session: DbSession, who: Reader) -> dict[str, Any]:
    """Regions -> locations -> teams with agent counts."""
    return {"regions": repository.hierarchy(session, who.org_id)}


@router.get("/regions", response_model=list[schemas.RegionRead])
def list_regions(session: DbSession, who: Reader, limit: Limit = 100, offset: Offset = 0) -> list[Any]:
    return repository.list_rows(session, Region, who.org_id, limit=limit, offset=offset)


@router.post("/regions", response_model=schemas.RegionRead, status_code=201)
def post_region(data: schemas.RegionCreate, session: DbSession, who: Manager) -> Any:
    return service.create_region(session, org_id=who.org_id, data=data)


@router.get("/locations", response_model=list[schemas.LocationRead])
def list_locations(session: DbSession, who: Reader, limit: Limit = 100, offset: Offset = 0) -> list[Any]:
    return repository.list_rows(session, Location, who.org_id, limit=limit, offset=offset)


@router.post("/locations", response_model=schemas.LocationRead, status_code=201)
def post_location(data: schemas.LocationCreate, session: DbSession, who: Manager) -> Any:
    return service.create_location(session, org_id=who.org_id, data=data)


@router.get("/teams", response_model=list[schemas.TeamRead])
def list_teams(session: DbSession, who: Reader, limit: Limit = 100, offset: Offset = 0) -> list[Any]:
    return repository.list_rows(session, Team, who.org_id, limit=limit, offset=offset)


@router.post("/teams", response_model=schemas.TeamRead, status_code=201)
def post_team(data: schemas.TeamCreate, session: DbSession, who: Manager) -> Any:
    return service.create_team(session, org_id=who.org_id, data=data)


@router.get("/agents", response_model=list[schemas.AgentRead])
def list_agents(
    session: DbSession,
    who: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
    kind: Annotated[str | None, Query(pattern="^(human|ai)$")] = None,
    team_id: uuid.UUID | None = None,
) -> list[Any]:
    return repository.list_rows(session, Agent, who.org_id, limit=limit, offset=offset, kind=kind, team_id=team_id)


@router.post("/agents", response_model=schemas.AgentRead, status_code=201)
def post_agent(data: schemas.AgentCreate, session: DbSession, who: Manager) -> Any:
    return service.create_agent(session, org_id=who.org_id, data=data)


@router.get("/agents/{agent_id}", response_model=schemas.AgentRead)
def get_agent(agent_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    return get_scoped(session, Agent, who.org_id, agent_id, "agent")


@router.patch("/agents/{agent_id}", response_model=schemas.AgentRead)
def patch_agent(agent_id: uuid.UUID, data: schemas.AgentUpdate, session: DbSession, who: Manager) -> Any:
    agent = get_scoped(session, Agent, who.org_id, agent_id, "agent")
    return service.update_agent(session, agent=agent, data=data)


@router.get("/queues", response_model=list[schemas.QueueRead])
def list_queues(session: DbSession, who: Reader, limit: Limit = 100, offset: Offset = 0) -> list[Any]:
    return repository.list_rows(session, Queue, who.org_id, limit=limit, offset=offset)


@router.post("/queues", response_model=schemas.QueueRead, status_code=201)
def post_queue(data: schemas.QueueCreate, session: DbSession, who: Manager) -> Any:
    return service.create_queue(session, org_id=who.org_id, data=data)


@router.get("/customers/{customer_id}", response_model=schemas.CustomerRead)
def get_customer(customer_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    return get_scoped(session, Customer, who.org_id, customer_id, "customer")


@router.post("/directory/names", response_model=schemas.Names)
def post_names(data: schemas.NamesQuery, session: DbSession, who: Reader) -> dict[str, Any]:
    """Display names for references other pages show (customer ids or external ids, agent ids or codes), in one
    call. Readers only, like the directory itself: an agent key is refused (403), so it cannot list customers."""
    return {
        "customers": repository.customer_names(session, who.org_id, data.customers),
        "agents": repository.agent_names(session, who.org_id, data.agents),
    }
