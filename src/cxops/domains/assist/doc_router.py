"""HTTP routes of auto-documentation: read one interaction's documentation, list recent ones, regenerate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from cxops.core.auth import MANAGERS, READERS, Principal
from cxops.core.errors import ValidationFailed
from cxops.core.web import DbSession, require
from cxops.domains.assist import documentation
from cxops.domains.assist.doc_models import AssistDocumentation
from cxops.domains.assist.doc_ports import DocumentationPorts

router = APIRouter(prefix="/v1", tags=["assist"])
Reader = Annotated[Principal, Depends(require(READERS))]
Manager = Annotated[Principal, Depends(require(MANAGERS))]


class DocumentationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    interaction_id: uuid.UUID
    interaction_started_at: datetime
    schema_version: str
    intent: str | None
    outcome: str | None
    generative_status: str
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class DocumentationPage(BaseModel):
    items: list[DocumentationRead]
    total: int
    limit: int
    offset: int


def _read(row: AssistDocumentation) -> DocumentationRead:
    return DocumentationRead.model_validate(row)


def _ports(request: Request) -> DocumentationPorts:
    ports = getattr(request.app.state, "documentation_ports", None)
    return ports if isinstance(ports, DocumentationPorts) else DocumentationPorts()


@router.get("/interactions/{interaction_id}/documentation", response_model=DocumentationRead)
def get_documentation(interaction_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    """The CRM-ready documentation of an ended interaction (schema cxops.documentation/1)."""
    return _read(documentation.get_documentation(session, org_id=who.org_id, interaction_id=interaction_id))


@router.post("/interactions/{interaction_id}/documentation/regenerate", response_model=DocumentationRead)
def post_regenerate(interaction_id: uuid.UUID, request: Request, session: DbSession, who: Manager) -> Any:
    """Rewrite the documentation now (with the generative summary when an LLM endpoint is configured)."""
    row = documentation.regenerate(session, org_id=who.org_id, interaction_id=interaction_id, ports=_ports(request))
    return _read(row)


@router.get("/documentation", response_model=DocumentationPage)
def list_documentation(
    session: DbSession,
    who: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    intent: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
) -> Any:
    """Documented interactions of the organisation, newest first (optionally one intent, or since a time)."""
    if since is not None and since.tzinfo is None:
        raise ValidationFailed("since needs a timezone offset (e.g. 2026-11-24T00:00:00Z)", field="since")
    items, total = documentation.recent(
        session, org_id=who.org_id, limit=limit, offset=offset, intent=intent, since=since
    )
    return {"items": [_read(r) for r in items], "total": total, "limit": limit, "offset": offset}
