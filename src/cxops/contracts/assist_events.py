"""Event payloads published by the assist domain (kept apart from contracts/events.py to stay small)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cxops.core.event_types import DomainEvent


class AssistArticlesShown(DomainEvent):
    """A live call ended in which real-time assist showed the agent knowledge suggestions: the articles shown
    (in the order first shown) and those the agent marked as used from the desk. Emitted with the end of the
    interaction, only when at least one article was shown; the knowledge domain records them as `shown` and
    `used` attributions of the interaction."""

    event_type: ClassVar[str] = "assist.articles_shown"
    #: Distinct articles a live call remembers (later ones are not recorded).
    MAX_ARTICLES: ClassVar[int] = 50
    interaction_id: str
    article_ids: list[str] = Field(max_length=50)
    used_article_ids: list[str] = Field(default_factory=list, max_length=50)
