"""Builders of valid ingestion records, varied by arguments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cxops.domains.actions.models import ActionProposal
from cxops.domains.knowledge.models import KnowledgeArticle, KnowledgeAttribution, KnowledgeSource


def interaction(n: int = 1, *, source: str = "test", turns: int = 4, **overrides: Any) -> dict[str, Any]:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=n)
    record: dict[str, Any] = {
        "source": source,
        "external_id": f"c-{n}",
        "channel": "voice",
        "queue": "billing-voice",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=6)).isoformat(),
        "customer": {"external_id": f"cust-{n % 7}"},
        "participants": [{"agent": "bot-1", "kind": "ai"}, {"agent": f"a-{n % 3}", "role": "handoff"}],
        "talk_s": 300,
        "hold_s": 20,
        "wrap_s": 40,
        "outcome": "resolved",
        "intent": "billing_dispute",
        "csat": 4,
        "turns": [
            {
                "speaker": "customer" if i % 2 == 0 else "agent",
                "offset_ms": i * 1000,
                "text": f"utterance {i}",
                "sentiment": 1.0 if i % 2 == 0 else None,
            }
            for i in range(turns)
        ],
    }
    record.update(overrides)
    return record


def cited_article(session: Any, *, org_id: Any, interaction_id: Any, body: str, usage: str = "used") -> Any:
    """A knowledge article attributed to an interaction (a source, the article, the attribution); returns it."""
    src = KnowledgeSource(org_id=org_id, name="kb", kind="folder", path="/kb", owner="cx")
    session.add(src)
    session.flush()
    art = KnowledgeArticle(
        org_id=org_id,
        source_id=src.id,
        external_id="a1",
        file="a1.md",
        title="Article",
        body=body,
        content_hash="h",
        review_due_at=datetime.now(UTC) + timedelta(days=90),
    )
    session.add(art)
    session.flush()
    session.add(KnowledgeAttribution(org_id=org_id, article_id=art.id, interaction_id=interaction_id, usage=usage))
    return art


def denied_proposal(session: Any, *, org_id: Any, interaction_id: Any, key: str = "k1", **context: Any) -> Any:
    """An action proposal made in an interaction and denied by policy (what QA's policy criterion reads)."""
    row = ActionProposal(
        org_id=org_id,
        idempotency_key=key,
        request_digest="d",
        action="return_delivered_order_items",
        steps=[],
        context={"interaction_id": str(interaction_id), **context},
        actor_key_id=uuid.uuid4(),
        actor_role="agent",
        actor_ref="a-1",
        decision="deny",
        rules=[],
        pack_version="1",
        status="denied",
    )
    session.add(row)
    return row
