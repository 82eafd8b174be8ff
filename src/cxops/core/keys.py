"""Organisations and API keys: bootstrap, creation, revocation, console sessions."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.core.auth import Role, generate_key, hash_secret
from cxops.core.clock import utcnow
from cxops.core.errors import Conflict, NotFound, ValidationFailed
from cxops.core.ids import new_id
from cxops.core.models import ApiKey, ConsoleSession, Organisation

SESSION_HOURS = 12


def ensure_organisation(session: Session, *, slug: str, name: str | None = None) -> Organisation:
    """The organisation with this slug, created if it does not exist."""
    if not slug or len(slug) > 64 or not slug.replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed("organisation slug must be 1-64 letters, digits, '-' or '_'", field="slug")
    org = session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        org = Organisation(id=new_id(), slug=slug, name=name or slug)
        session.add(org)
        session.flush()
    return org


def create_key(
    session: Session, *, org_id: uuid.UUID, role: Role, name: str, subject: str | None = None
) -> tuple[ApiKey, str]:
    """A new key for the organisation; returns the row and the secret (shown once, never stored)."""
    if not name.strip() or len(name) > 200:
        raise ValidationFailed("key name must be 1-200 characters", field="name")
    secret, prefix, digest = generate_key()
    row = ApiKey(
        id=new_id(),
        org_id=org_id,
        name=name.strip(),
        role=role.value,
        prefix=prefix,
        secret_hash=digest,
        subject=subject,
    )
    session.add(row)
    session.flush()
    return row, secret


def revoke_key(
    session: Session, *, org_id: uuid.UUID, key_id: uuid.UUID, caller_key_id: uuid.UUID | None = None
) -> ApiKey:
    """Revoke a key of the organisation (idempotent). A caller never revokes the key it is calling with (409), so an
    admin cannot lock themselves out; `caller_key_id` is None only for the operator's command line."""
    row = session.get(ApiKey, key_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"API key {key_id} not found")
    if caller_key_id is not None and row.id == caller_key_id:
        raise Conflict(
            f"API key '{row.name}' is the key making this request and cannot revoke itself: create another admin key, "
            "sign in with it, then revoke this one",
            field="key_id",
        )
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def list_keys(session: Session, *, org_id: uuid.UUID) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.org_id == org_id).order_by(ApiKey.created_at)))


def open_console_session(session: Session, *, key_id: uuid.UUID) -> str:
    """A console session for a key; returns the cookie token."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=hash_secret(token), api_key_id=key_id, expires_at=utcnow() + timedelta(hours=SESSION_HOURS)
        )
    )
    return token


def close_console_session(session: Session, *, token: str) -> None:
    row = session.get(ConsoleSession, hash_secret(token))
    if row is not None:
        session.delete(row)
