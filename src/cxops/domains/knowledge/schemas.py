"""API schemas of the knowledge domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from cxops.core.auth import Role

Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=50, pattern=r"^[\w.:-]+$")
]
Kind = Literal["markdown", "html", "pdf", "faq", "zendesk", "confluence", "jsonl"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SourceCreate(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[\w.:-]+$")]
    kind: Kind
    path: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    owner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    audience_roles: list[Role] = Field(default_factory=list, max_length=5, description="empty = every role")
    regions: list[Tag] = Field(default_factory=list, max_length=50, description="empty = every region")
    tiers: list[Tag] = Field(default_factory=list, max_length=20, description="empty = every customer tier")
    review_interval_days: int = Field(default=180, ge=1, le=3650)
    last_reviewed_at: datetime | None = None

    @field_validator("last_reviewed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a timezone offset, e.g. 2026-01-31T00:00:00Z")
        return value


class SourceUpdate(_In):
    owner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    path: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = None
    audience_roles: list[Role] | None = Field(default=None, max_length=5)
    regions: list[Tag] | None = Field(default=None, max_length=50)
    tiers: list[Tag] | None = Field(default=None, max_length=20)
    review_interval_days: int | None = Field(default=None, ge=1, le=3650)


class SourceRead(_Out):
    id: uuid.UUID
    name: str
    kind: str
    path: str
    owner: str
    audience_roles: list[str]
    regions: list[str]
    tiers: list[str]
    review_interval_days: int
    last_reviewed_at: datetime | None
    last_synced_at: datetime | None
    created_at: datetime


class ReviewIn(_In):
    reviewed_at: datetime | None = Field(default=None, description="when the review happened (default: now)")


class SourceReviewed(BaseModel):
    source: SourceRead
    articles_reviewed: int


class ArticleReviewRead(_Out):
    id: uuid.UUID
    title: str
    last_reviewed_at: datetime
    review_due_at: datetime


class SyncRunRead(_Out):
    id: uuid.UUID
    source_id: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
    added: int
    changed: int
    removed: int
    unchanged: int
    errors: list[dict[str, str]]


class SearchQuery(_In):
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
    k: int = Field(default=5, ge=1, le=50)
    region: Tag | None = None
    tier: Tag | None = None
    mode: Literal["hybrid", "bm25"] = "hybrid"


class Citation(BaseModel):
    article_id: uuid.UUID
    title: str
    section: str
    source: str
    #: the latest real review; None when nobody has reviewed the article since cxops first synced it
    last_reviewed_at: datetime | None
    first_synced_at: datetime


class FreshnessConflict(BaseModel):
    article_id: uuid.UUID
    title: str
    source: str
    unit: str
    says: str = Field(description="What the cited article states")
    other_says: str = Field(description="What the conflicting article states")
    other_is_newer: bool


class Freshness(BaseModel):
    """Whether the cited article is current, past its review date, or superseded by a newer conflicting article
    (conflicts listed only with articles the caller may see)."""

    status: Literal["current", "review_overdue", "superseded"]
    notes: list[str] = []
    conflicts: list[FreshnessConflict] = []


class SearchResult(BaseModel):
    chunk_id: uuid.UUID
    text: str
    score: float
    confidence: float
    citation: Citation
    freshness: Freshness | None = None


class SearchResponse(BaseModel):
    query: str
    mode: str
    results: list[SearchResult]
    note: str | None = None


class AnswerQuery(SearchQuery):
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)


class AnswerResponse(BaseModel):
    query: str
    answered: bool
    confidence: float
    passages: list[SearchResult]
    reason: str
    warnings: list[str] = Field(default=[], description="Conflicts the cited articles are part of, one sentence each")


class AttributionCreate(_In):
    article_id: uuid.UUID
    interaction_id: uuid.UUID
    usage: Literal["shown", "used"] = "shown"


class AttributionRead(_Out):
    id: uuid.UUID
    article_id: uuid.UUID
    interaction_id: uuid.UUID
    usage: str
    created_at: datetime


class ArticleVersionRead(_Out):
    version: int
    change: str
    content_hash: str
    title: str
    body: str
    sync_run_id: uuid.UUID | None
    recorded_at: datetime
