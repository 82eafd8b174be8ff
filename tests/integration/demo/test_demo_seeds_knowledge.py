"""The demo's knowledge seed on a small loaded demo: the fragmented sources read through the real connectors, the
integration tax knowledge health finds in them (conflicts, a near-duplicate, stale articles), permissions applied
to search, attribution of recent calls, and a second call adds nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys
from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.core.models import OutboxEvent
from cxops.domains.knowledge.models import KnowledgeArticle, KnowledgeAttribution
from cxops.domains.workflows.models import WorkflowTask
from cxops.entrypoints.demo import ensure_demo_knowledge, load_demo
from cxops.entrypoints.demo_seeds import knowledge, workflows
from cxops.integrations.demo import DemoConfig, Generator
from cxops.integrations.embeddings import default_embedder
from tests.conftest import auth, make_org_keys

END = date(2026, 2, 10)
CONFIG = DemoConfig(seed=4, days=3, volume=60, end=END)
NOW = datetime.combine(END, time(23, 59), UTC)
KB = "/v1/knowledge"


def _search(client: TestClient, key: str, query: str, **where: str) -> list[dict[str, Any]]:
    r = client.post(f"{KB}/search", json={"query": query, "k": 5, **where}, headers=auth(key))
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_knowledge_seed_shows_the_integration_tax_and_attributes_recent_calls(
    session_factory: sessionmaker[Session], settings: Settings, app: Any, tmp_path: Any
) -> None:
    settings = settings.model_copy(update={"knowledge_roots": str(tmp_path / "kb" / "{org}")})
    with unit_of_work(session_factory) as s:
        org_id = keys.ensure_organisation(s, slug="default").id
    gen = Generator(CONFIG)
    load_demo(session_factory, org_id=org_id, spec=gen.directory(), days=gen.days())
    embedder = default_embedder(settings.effective_models_dir)
    ensure_demo_knowledge(session_factory, org_id=org_id, org_slug="default", settings=settings, embedder=embedder)

    first = knowledge.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    for name in ("legacy-faq (6 articles)", "zendesk-guide (4 articles)", "supervisor-playbook (2 articles)"):
        assert name in first, first
    with unit_of_work(session_factory) as s:
        articles = {a.title: a for a in s.scalars(select(KnowledgeArticle))}
        attributed = s.scalar(select(func.count()).select_from(KnowledgeAttribution)) or 0
    assert "Holiday returns (draft)" not in articles  # Zendesk drafts are skipped
    assert "analytics" not in articles["Goodwill credits"].body  # Confluence's script stripped, never indexed
    assert attributed > 20 and f"{attributed:,} recent calls attributed" in first

    keys_ = make_org_keys(session_factory, "default")
    with TestClient(app) as client:
        health = client.get(f"{KB}/health", headers=auth(keys_["analyst"])).json()
        said = [(c["a_says"] + " / " + c["b_says"]) for c in health["conflicts"]]
        assert any("14 days" in s and "30 days" in s and "refund" in s.lower() for s in said), said
        ids = {str(a.id): t for t, a in articles.items()}
        older = {ids[c["older"]] for c in health["conflicts"]}
        assert "What is the refund policy?" in older and "Refund policy" not in older  # the FAQ is the older one
        dups = {frozenset((ids[d["a"]], ids[d["b"]])) for d in health["duplicates"]}
        assert frozenset(("Password reset", "How to reset your password")) in dups
        stale = {s["title"]: s["reasons"] for s in health["stale"]}
        assert any(r.startswith("review overdue") for r in stale["Is there a fee to cancel a booking?"])
        assert "Return label" not in stale  # the help centre is current; the FAQ's 30-day label is superseded
        assert 0 < health["readiness"] < 100

        # Permissions before ranking: the supervisor playbook is not there for an agent, the EU pages only in EMEA.
        question = "How much goodwill credit can be offered without approval?"
        assert all(r["citation"]["source"] != "supervisor-playbook" for r in _search(client, keys_["agent"], question))
        assert _search(client, keys_["supervisor"], question)[0]["citation"]["source"] == "supervisor-playbook"
        gdpr = "The customer wants a copy of their personal data"
        assert any(
            r["citation"]["source"] == "eu-policies" for r in _search(client, keys_["agent"], gdpr, region="emea")
        )
        assert all(
            r["citation"]["source"] != "eu-policies" for r in _search(client, keys_["agent"], gdpr, region="amer")
        )

        rates = client.get(f"{KB}/attributions/articles", headers=auth(keys_["analyst"])).json()
        assert sum(r["interactions"] for r in rates) == attributed and any(r["resolved"] > 0 for r in rates)

    # The workflows seed's conflict rule turns each conflict the syncs announced into a task naming both articles.
    workflows.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    with unit_of_work(session_factory) as s:
        announced = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "knowledge.conflict_found")).all()
        tasks = s.scalars(select(WorkflowTask).where(WorkflowTask.team == "knowledge")).all()
    assert len(announced) >= 2 and len(tasks) == len(announced)
    assert any(t.title.startswith("Settle conflicting articles: ") and "(legacy-faq)" in t.title for t in tasks)

    again = knowledge.seed(session_factory, org_id=org_id, settings=settings, now=NOW)
    assert again.endswith("nothing added"), again
    with unit_of_work(session_factory) as s:
        assert (s.scalar(select(func.count()).select_from(KnowledgeAttribution)) or 0) == attributed
        assert (s.scalar(select(func.count()).select_from(KnowledgeArticle)) or 0) == len(articles)
