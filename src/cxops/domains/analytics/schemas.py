"""Validated analytics queries (built from query parameters) and their answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

MAX_PAGE = 1000


@dataclass(frozen=True)
class MetricsQuery:
    """A checked metrics request: what to compute, sliced how, over which range."""

    metrics: tuple[str, ...]
    by: tuple[str, ...]
    grain: str
    since: datetime
    until: datetime
    filters: dict[str, str] = field(default_factory=dict)
    limit: int = 200
    offset: int = 0
    repeat_days: int = 7
    cost_human_minute: float = 0.75
    cost_ai_interaction: float = 0.10
    sort: str | None = None


class MetricsPage(BaseModel):
    """Metric rows for one page of groups, with the parameters used and what could not be computed."""

    since: str
    until: str
    grain: str
    by: list[str]
    metrics: list[str]
    filters: dict[str, str]
    params: dict[str, Any]
    rows: list[dict[str, Any]]
    total_rows: int
    limit: int
    offset: int
    unavailable: dict[str, str]
    notes: list[str]
