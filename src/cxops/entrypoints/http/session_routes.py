"""Console sign-in (API key -> session cookie), who-am-I, and API key management."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from cxops.core import keys
from cxops.core.auth import ADMINS, ALL_ROLES, Principal, Role
from cxops.core.web import SESSION_COOKIE, DbSession, authenticate, require
from cxops.domains.directory.public import check_key_subject

router = APIRouter(prefix="/v1", tags=["auth"])
Anyone = Annotated[Principal, Depends(require(ALL_ROLES))]
Admin = Annotated[Principal, Depends(require(ADMINS))]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_key: str = Field(min_length=8, max_length=200)


class Me(BaseModel):
    org_id: uuid.UUID
    role: str
    key_id: uuid.UUID
    #: the agent code an agent or service key acts as (a label for other roles); None when not linked
    subject: str | None = None


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    #: agent and service keys: the code of the directory agent the key acts as (422 if no agent has it); an agent key
    #: needs one to read its own coaching, evaluations, transcripts and proposals. Other roles: a free label.
    subject: str | None = Field(default=None, max_length=200)


class KeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    role: str
    prefix: str
    subject: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    api_key: str


@router.post("/session", response_model=Me)
def sign_in(body: SignIn, request: Request, response: Response, session: DbSession) -> Any:
    """Exchange an API key for an HttpOnly session cookie (console sign-in)."""
    principal = authenticate(request, session, ("key", body.api_key))
    token = keys.open_console_session(session, key_id=principal.key_id)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=keys.SESSION_HOURS * 3600,
        secure=request.url.scheme == "https",
    )
    return Me(org_id=principal.org_id, role=principal.role.value, key_id=principal.key_id, subject=principal.subject)


@router.delete("/session", status_code=204)
def sign_out(request: Request, response: Response, session: DbSession) -> None:
    """End the console session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        keys.close_console_session(session, token=token)
        request.app.state.key_cache.clear()
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=Me)
def me(who: Anyone) -> Any:
    """Who the caller is."""
    return Me(org_id=who.org_id, role=who.role.value, key_id=who.key_id, subject=who.subject)


@router.get("/keys", response_model=list[KeyRead])
def get_keys(session: DbSession, who: Admin) -> Any:
    return keys.list_keys(session, org_id=who.org_id)


@router.post("/keys", response_model=KeyCreated, status_code=201)
def post_key(body: KeyCreate, session: DbSession, who: Admin) -> Any:
    """Create a key; the secret is in this response only. An agent or service key's `subject` must be the code of an
    agent of the directory (the agent it acts as)."""
    subject = check_key_subject(session, org_id=who.org_id, role=body.role, subject=body.subject)
    row, secret = keys.create_key(session, org_id=who.org_id, role=body.role, name=body.name, subject=subject)
    return {**KeyRead.model_validate(row).model_dump(), "api_key": secret}


@router.delete("/keys/{key_id}", response_model=KeyRead)
def delete_key(key_id: uuid.UUID, request: Request, session: DbSession, who: Admin) -> Any:
    """Revoke a key (idempotent); the key making the request cannot revoke itself (409)."""
    row = keys.revoke_key(session, org_id=who.org_id, key_id=key_id, caller_key_id=who.key_id)
    request.app.state.key_cache.clear()
    return row
