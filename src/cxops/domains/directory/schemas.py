"""API schemas of the directory domain (XCreate / XUpdate / XRead)."""

from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from cxops.contracts.interactions import AgentKind, Channel

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[\w.:-]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_ZONES = frozenset(available_timezones())


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RegionCreate(_In):
    code: Code
    name: Name


class RegionRead(_Out):
    id: uuid.UUID
    code: str
    name: str


class LocationCreate(_In):
    code: Code
    name: Name
    region: Code
    timezone: str = Field(description="IANA time zone, e.g. Europe/Berlin")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)")
        return value


class LocationRead(_Out):
    id: uuid.UUID
    code: str
    name: str
    region_id: uuid.UUID
    timezone: str


class TeamCreate(_In):
    code: Code
    name: Name
    location: Code


class TeamRead(_Out):
    id: uuid.UUID
    code: str
    name: str
    location_id: uuid.UUID


class AgentCreate(_In):
    code: Code
    name: Name
    kind: AgentKind = AgentKind.HUMAN
    team: Code | None = None
    skills: list[Annotated[str, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=100)


class AgentUpdate(_In):
    name: Name | None = None
    team: Code | None = None
    skills: list[Annotated[str, StringConstraints(max_length=100)]] | None = Field(default=None, max_length=100)
    status: Annotated[str, StringConstraints(pattern=r"^(active|inactive|paused)$")] | None = None


class AgentRead(_Out):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    team_id: uuid.UUID | None
    skills: list[str]
    status: str
    auto_created: bool


class QueueCreate(_In):
    code: Code
    name: Name
    channel: Channel
    sl_target_pct: float = Field(default=80.0, gt=0, le=100)
    sl_threshold_s: float = Field(default=20.0, ge=0, le=86_400)


class QueueRead(_Out):
    id: uuid.UUID
    code: str
    name: str
    channel: str
    sl_target_pct: float
    sl_threshold_s: float
    auto_created: bool


class CustomerRead(_Out):
    id: uuid.UUID
    display_name: str | None
    tier: str | None
    region: str | None


Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class NamesQuery(_In):
    """References other read models carry (a proposal's customer and actor, an evaluation's agent) to resolve."""

    customers: list[Ref] = Field(default_factory=list, max_length=500)
    agents: list[Ref] = Field(default_factory=list, max_length=500)


class CustomerName(BaseModel):
    id: uuid.UUID
    display_name: str | None
    external_ids: list[str]


class AgentName(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: str


class Names(BaseModel):
    """Display names by the reference asked for; references that resolve to nothing are left out."""

    customers: dict[str, CustomerName]
    agents: dict[str, AgentName]


class Hierarchy(BaseModel):
    """The whole tree region -> location -> team with agent counts, for navigation."""

    regions: list[dict[str, object]]
