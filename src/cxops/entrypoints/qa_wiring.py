"""Binds QA to the packaged sentence encoder (one lazily built, LRU-cached encoder per process) and to the facts
other domains hold about an interaction (actions decided in it, articles cited in it)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.core.config import get_settings
from cxops.domains.actions.models import ActionProposal
from cxops.domains.knowledge.models import KnowledgeArticle, KnowledgeAttribution
from cxops.domains.qa.public import CachingEncoder
from cxops.integrations.embeddings import default_embedder

_LOCK = threading.Lock()
_ENCODERS: dict[Path, CachingEncoder | None] = {}


def qa_encoder(models_dir: Path | None = None) -> Callable[[], CachingEncoder | None]:
    """A provider of the process's QA encoder (None when the model package is not installed)."""

    def provide() -> CachingEncoder | None:
        models = models_dir or get_settings().effective_models_dir
        with _LOCK:
            if models not in _ENCODERS:
                embedder = default_embedder(models)
                _ENCODERS[models] = CachingEncoder(embedder.encode) if embedder is not None else None
            return _ENCODERS[models]

    return provide


class FactsFromDomains:
    """QA's facts from the actions domain (decisions per interaction) and the knowledge domain (cited articles)."""

    def actions_for(
        self, session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        keys = [str(i) for i in interaction_ids]
        ref = ActionProposal.context["interaction_id"].as_string()
        out: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for p in session.scalars(select(ActionProposal).where(ActionProposal.org_id == org_id, ref.in_(keys))):
            out.setdefault(uuid.UUID(p.context["interaction_id"]), []).append(
                {
                    "id": str(p.id),
                    "action": p.action,
                    "decision": p.decision,
                    "executed": p.executed_at is not None,
                    "approved": p.reviewed_by is not None and p.status != "rejected",
                    "turn_seq": (p.context or {}).get("turn_seq"),
                }
            )
        return out

    def citations_for(
        self, session: Session, *, org_id: uuid.UUID, interaction_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[str]]:
        rows = session.execute(
            select(KnowledgeAttribution.interaction_id, KnowledgeArticle.body)
            .join(KnowledgeArticle, KnowledgeArticle.id == KnowledgeAttribution.article_id)
            .where(KnowledgeAttribution.org_id == org_id, KnowledgeAttribution.interaction_id.in_(interaction_ids))
        )
        out: dict[uuid.UUID, list[str]] = {}
        for iid, body in rows:
            out.setdefault(iid, []).append(body)
        return out
