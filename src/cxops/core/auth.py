"""API keys and roles. Keys are random, shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    AGENT = "agent"
    SERVICE = "service"


ALL_ROLES = frozenset(Role)
#: Who may read operational data (dashboards, interactions, directory).
READERS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST})
#: Who may change configuration and directory data.
MANAGERS = frozenset({Role.ADMIN, Role.SUPERVISOR})
#: Who may push interaction data in (integrations and AI agents use service keys).
INGESTERS = frozenset({Role.ADMIN, Role.SERVICE})
ADMINS = frozenset({Role.ADMIN})

KEY_PREFIX = "cx_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key, its organisation and its role."""

    key_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    subject: str | None = None


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a key or session token (high-entropy secrets need no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_key() -> tuple[str, str, str]:
    """A new key: returns (full key shown once, display prefix, hash to store)."""
    body = secrets.token_urlsafe(32)
    key = f"{KEY_PREFIX}{body}"
    return key, key[:10], hash_secret(key)


def parse_role(value: str) -> Role:
    """A Role from text, or ValueError listing the valid ones."""
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"unknown role {value!r}; expected one of {', '.join(r.value for r in Role)}") from None
