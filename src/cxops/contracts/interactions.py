"""The interaction ingestion contract: the documented generic format every importer produces.

One JSON object per interaction (NDJSON for bulk). See docs/ingestion.md for the field reference.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator


def _no_nul(value: str) -> str:
    """NUL characters are refused: PostgreSQL text cannot store them and no real transcript has them."""
    if "\x00" in value:
        raise ValueError("text contains a NUL (\\u0000) character")
    return value


NoNul = AfterValidator(_no_nul)
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]
AttrValue = Annotated[str, NoNul] | int | float | bool

MAX_TURNS = 5000
MAX_TURN_CHARS = 20_000
MAX_OFFSET_MS = 7 * 24 * 3600 * 1000  # a week: offsets are relative to the interaction's start


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    MESSAGING = "messaging"


class Outcome(StrEnum):
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"


class Speaker(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    AI = "ai"
    SYSTEM = "system"


class AgentKind(StrEnum):
    HUMAN = "human"
    AI = "ai"


class ParticipantRole(StrEnum):
    PRIMARY = "primary"
    HANDOFF = "handoff"
    TRANSFER = "transfer"
    CONSULT = "consult"


class AgentState(StrEnum):
    AVAILABLE = "available"
    ON_CONTACT = "on_contact"
    AFTER_CONTACT_WORK = "after_contact_work"
    BREAK = "break"
    OFFLINE = "offline"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerRef(_Strict):
    """The customer as the source system knows them; (source, external_id) identifies them."""

    external_id: Code
    source: Code | None = Field(default=None, description="defaults to the interaction's source")
    display_name: ShortText | None = None
    tier: Code | None = None
    region: Code | None = None


class ParticipantIn(_Strict):
    """An agent (human or AI) who took part, in order of joining."""

    agent: Code = Field(description="the agent's code in the directory; created on first sight")
    kind: AgentKind = AgentKind.HUMAN
    role: ParticipantRole = ParticipantRole.PRIMARY
    joined_offset_ms: int | None = Field(default=None, ge=0, le=MAX_OFFSET_MS)


class TurnIn(_Strict):
    """One utterance or message."""

    speaker: Speaker
    offset_ms: int = Field(ge=0, le=MAX_OFFSET_MS)
    end_offset_ms: int | None = Field(default=None, ge=0, le=MAX_OFFSET_MS)
    text: Annotated[str, NoNul] = Field(max_length=MAX_TURN_CHARS)
    agent: Code | None = None
    sentiment: float | None = Field(default=None, ge=-5, le=5)

    @model_validator(mode="after")
    def _end_after_start(self) -> TurnIn:
        if self.end_offset_ms is not None and self.end_offset_ms < self.offset_ms:
            raise ValueError(f"end_offset_ms {self.end_offset_ms} is before offset_ms {self.offset_ms}")
        return self


class InteractionIn(_Strict):
    """An interaction as ingested; idempotent on (source, external_id)."""

    source: Code
    external_id: Code
    channel: Channel
    queue: Code | None = None
    started_at: datetime
    ended_at: datetime | None = None
    customer: CustomerRef | None = None
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=50)
    talk_s: float = Field(default=0, ge=0, le=86_400)
    hold_s: float = Field(default=0, ge=0, le=86_400)
    wrap_s: float = Field(default=0, ge=0, le=86_400)
    outcome: Outcome | None = None
    disposition: ShortText | None = None
    intent: Code | None = None
    csat: int | None = Field(default=None, ge=1, le=5)
    survey_answered: bool = False
    language: Annotated[str, StringConstraints(max_length=16), NoNul] = "en"
    turns: list[TurnIn] = Field(default_factory=list, max_length=MAX_TURNS)
    attributes: dict[Annotated[str, StringConstraints(max_length=64), NoNul], AttrValue] = Field(
        default_factory=dict, max_length=50
    )

    @field_validator("started_at", "ended_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamp needs a timezone offset (e.g. 2026-01-31T09:15:00Z)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> InteractionIn:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError(f"ended_at {self.ended_at.isoformat()} is before started_at")
        if self.csat is not None and not self.survey_answered:
            self.survey_answered = True
        previous = -1
        for index, turn in enumerate(self.turns):
            if turn.offset_ms < previous:
                raise ValueError(
                    f"turns[{index}].offset_ms {turn.offset_ms} is earlier than turns[{index - 1}].offset_ms "
                    f"{previous}: turns must be in time order"
                )
            previous = turn.offset_ms
        return self


class AgentStateEventIn(_Strict):
    """An agent changed state (for adherence)."""

    agent: Code
    state: AgentState
    started_at: datetime
    source: Code = "api"

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp needs a timezone offset (e.g. 2026-01-31T09:15:00Z)")
        return value


class FieldError(BaseModel):
    field: str
    message: str


class LineResult(BaseModel):
    """The outcome for one record of a batch."""

    line: int
    status: str  # created | updated | unchanged | error
    external_id: str | None = None
    id: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class BatchSummary(BaseModel):
    """Counts for a batch plus the per-line report of the records that failed."""

    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[LineResult] = Field(default_factory=list)
    errors_truncated: bool = False
