"""`cxops qa publish|score|calibration` with clear errors."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

import cxops.domains.qa as qa_pkg
from cxops.core.cli import open_db
from cxops.domains.interactions.public import Interaction
from cxops.domains.qa.models import QaEvaluation
from cxops.entrypoints.cli.main import app
from tests.factories import cited_article, denied_proposal, interaction

DEMO = Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml"


def test_publish_import_and_score_history(runner: CliRunner, tmp_path: Path) -> None:
    assert "no active scorecard" in runner.invoke(app, ["qa", "score", "--since", "2026-01-01"]).output
    assert runner.invoke(app, ["qa", "publish", str(DEMO)]).exit_code == 0
    data = tmp_path / "calls.ndjson"
    data.write_bytes(b"\n".join(orjson.dumps(interaction(i)) for i in range(5)))
    assert runner.invoke(app, ["import", str(data), "--format", "ndjson"]).exit_code == 0
    out = runner.invoke(app, ["qa", "score", "--since", "2026-03-01"])
    assert out.exit_code == 0 and "scored 5 interactions (5 evaluations)" in out.output
    assert runner.invoke(app, ["qa", "score", "--since", "March"]).exit_code == 2
    assert orjson.loads(runner.invoke(app, ["qa", "calibration"]).stdout) == []


def test_bulk_scoring_uses_the_actions_and_citations_of_each_interaction(runner: CliRunner, tmp_path: Path) -> None:
    """`cxops qa score` judges with the same facts as the API and the event consumer (tests/api/qa/test_qa_facts.py)."""
    assert runner.invoke(app, ["qa", "publish", str(DEMO)]).exit_code == 0
    rec = interaction(1, turns=0)
    rec["turns"] = [
        {"speaker": "customer", "offset_ms": 0, "text": "Can I get a refund?"},
        {"speaker": "agent", "offset_ms": 3000, "text": "Refunds are possible within 30 days."},
    ]
    data = tmp_path / "calls.ndjson"
    data.write_bytes(orjson.dumps(rec))
    assert runner.invoke(app, ["import", str(data), "--format", "ndjson"]).exit_code == 0
    factory = open_db()
    with factory() as s:
        it = s.scalars(select(Interaction)).one()
        cited_article(
            s, org_id=it.org_id, interaction_id=it.id, body="Refunds are accepted within 30 days of delivery."
        )
        denied_proposal(s, org_id=it.org_id, interaction_id=it.id, key="k1")
        s.commit()
    out = runner.invoke(app, ["qa", "score", "--since", "2026-03-01"])
    assert out.exit_code == 0 and "scored 1 interactions (1 evaluations)" in out.output, out.output
    with factory() as s:
        crit = {c["criterion"]: c for c in s.scalars(select(QaEvaluation)).one().criteria}
    assert crit["grounded"]["status"] == "pass" and "1/1 facts" in crit["grounded"]["detail"]
    assert crit["policy"]["status"] == "fail" and "return_delivered_order_items" in crit["policy"]["detail"]
