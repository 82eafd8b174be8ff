"""Documentation is event-driven and exactly-once: an ended interaction ingested, the outbox drained, the same
event delivered again (and a second event for the same interaction) still leaves one row; the backfill CLI."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cxops.core import keys
from cxops.core.config import load_settings
from cxops.core.db import unit_of_work
from cxops.core.events import Delivered, OutboxDispatcher, apply_once
from cxops.core.models import OutboxEvent
from cxops.domains.assist import documentation
from cxops.domains.assist.compute.entities import TurnText
from cxops.domains.assist.compute.summary import InteractionFacts, document
from cxops.domains.assist.doc_models import AssistDocumentation
from cxops.domains.assist.doc_ports import DocumentationPorts
from cxops.domains.assist.intents import intents_root, train
from cxops.domains.interactions.public import BatchIngestor, Interaction, parse_obj
from cxops.entrypoints import autodoc_wiring
from cxops.entrypoints.cli.main import app as cli
from cxops.entrypoints.http.app import build_subscriptions
from cxops.integrations.demo import DemoConfig, generate, labelled_utterances
from tests.conftest import REPO
from tests.factories import interaction

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TURNS = [
    ("customer", "My parcel with tracking 1Z1234567890 never arrived."),
    ("agent", "I've escalated it as case CS-123456; you'll hear back within two working days."),
]


def _record(n: int) -> dict:
    rec = interaction(n, turns=0, outcome=None)
    rec["turns"] = [{"speaker": s, "offset_ms": i * 1000, "text": t} for i, (s, t) in enumerate(TURNS)]
    return rec


def _count(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(AssistDocumentation)) or 0)


def test_documented_exactly_once_even_when_the_event_is_delivered_twice(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        org_id = keys.ensure_organisation(s, slug="acme").id
    ingestor = BatchIngestor(session_factory, org_id)
    ingestor.add(parse_obj(1, _record(1)), 1)
    ingestor.flush()
    with session_factory() as s:
        row = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "interactions.ended")).one()
        event = Delivered(row.id, row.type, row.org_id, row.payload)
    subs = build_subscriptions(REPO / ".cxops-data" / "test-models")
    dispatcher = OutboxDispatcher(session_factory, subs)
    while dispatcher.run_once():
        pass
    assert _count(session_factory) == 1
    handler = dict(subs.for_type("interactions.ended"))["assist.documentation"]
    assert apply_once(session_factory, "assist.documentation", handler, event) is False  # redelivery: a no-op
    again = Delivered(uuid.uuid4(), event.type, event.org_id, event.payload)  # a new event, same interaction
    assert apply_once(session_factory, "assist.documentation", handler, again) is True
    assert _count(session_factory) == 1
    with session_factory() as s:
        doc = s.scalars(select(AssistDocumentation)).one().document
    assert doc["disposition"]["outcome"] == "escalated" and doc["disposition"]["outcome_source"] == "transcript"
    kinds = {(e["type"], e["value"]) for e in doc["entities"]}
    assert {("tracking_number", "1Z1234567890"), ("case_id", "CS-123456")} <= kinds
    assert doc["action_items"][0]["due"] == "2026-03-04"  # two working days after Monday 2 March 2026


def test_interactions_of_another_org_or_not_ended_are_skipped(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        acme = keys.ensure_organisation(s, slug="acme").id
        other = keys.ensure_organisation(s, slug="globex").id
    ongoing = _record(2)
    ongoing.pop("ended_at")
    ingestor = BatchIngestor(session_factory, acme)
    for n, rec in enumerate([_record(1), ongoing], start=1):
        ingestor.add(parse_obj(n, rec), n)
    ingestor.flush()
    with unit_of_work(session_factory) as s:
        from_db = [i for (i,) in s.execute(select(AssistDocumentation.id))]
        assert from_db == []
        ids = [r.id for r in s.scalars(select(Interaction))]
        assert (
            documentation.document_interactions(s, org_id=other, interaction_ids=ids, ports=DocumentationPorts()) == []
        )
        rows = documentation.document_interactions(s, org_id=acme, interaction_ids=ids, ports=DocumentationPorts())
        assert len(rows) == 1 and rows[0].document["summary"]["method"] == "textrank-mmr/tfidf"


def test_backfill_cli(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "calls.ndjson"
    data.write_bytes(b"\n".join(orjson.dumps(_record(i)) for i in range(4)))
    assert runner.invoke(cli, ["import", str(data), "--format", "ndjson"]).exit_code == 0
    out = runner.invoke(cli, ["assist", "document", "--since", "2026-03-01"])
    assert out.exit_code == 0, out.output
    assert "documented 4 of 4 ended interactions" in out.output
    out = runner.invoke(cli, ["assist", "document", "--since", "2026-03-01", "--missing-only"])
    assert "documented 0 of 4" in out.output
    assert "no ended interactions since" in runner.invoke(cli, ["assist", "document", "--since", "2030-01-01"]).output
    bad = runner.invoke(cli, ["assist", "document", "--since", "March"])
    assert bad.exit_code == 2 and "not an ISO date" in bad.output


def test_disposition_from_the_newest_trained_intent_model(tmp_path: Path) -> None:
    """A model trained on the demo intents (the intents store) is found by the wiring and used over the customer's
    sentences, with the sentence vectors the summary uses."""
    settings = load_settings(
        {"CXOPS_DATA_DIR": str(tmp_path), "CXOPS_MODELS_DIR": str(REPO / ".cxops-data" / "test-models")}
    )
    ports = autodoc_wiring.documentation_ports(settings)
    encode = ports.encoder()
    assert encode is not None
    rows = labelled_utterances(seed=3, per_intent=12)
    train(rows, "default", intents_root(tmp_path), encode, holdout=0.0)
    model = ports.intents()
    assert model is not None and model.version == "1"
    _, days = generate(DemoConfig(seed=21, days=1, volume=60, end=date(2026, 11, 20)))
    records = [r for r in next(days).interactions if r["turns"] and r.get("intent")][:30]
    hits = 0
    for rec in records:
        facts = InteractionFacts(id="x", started_at=START, ended_at=None, channel=rec["channel"], intent="ignored")
        turns = [TurnText(i, t["speaker"], t["text"]) for i, t in enumerate(rec["turns"])]
        disp = document(facts, turns, encode=encode, intents=model, generated_at=START)["disposition"]
        assert disp["intent_source"] == "model" and disp["model"] == "default@1"
        hits += disp["intent"] == rec["intent"]
    assert hits / len(records) >= 0.8, hits
