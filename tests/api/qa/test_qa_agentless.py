"""A contact no agent (human or AI) took part in - abandoned in the queue or the IVR, only system and customer
turns - is not evaluated on any path (the 'ended' consumer, the API, `cxops qa score`, the re-score after a new
scorecard version); evaluations it was given before are dropped, so analytics' QA figures no longer count it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

import cxops.domains.qa as qa_pkg
from cxops.core.cli import open_db
from cxops.domains.interactions.public import Interaction
from cxops.domains.qa.models import QaDispute, QaEvaluation, QaScorecard
from cxops.entrypoints.analytics_ports import QaEvaluationScores
from cxops.entrypoints.cli.main import app as cli
from tests.api.qa.test_qa_api import _call
from tests.conftest import auth, drain_events
from tests.factories import interaction

DEMO_PATH = Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml"
DEMO = DEMO_PATH.read_text()
WHEN = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))


def _abandoned(n: int) -> dict[str, Any]:
    """An IVR call the customer left before any agent answered (as the demo generator writes them)."""
    rec = interaction(n, turns=0, participants=[], outcome="abandoned", csat=None, talk_s=0, hold_s=0, wrap_s=0)
    rec["turns"] = [
        {"speaker": "system", "offset_ms": 0, "text": "Thank you for calling. Please tell us why you're calling."},
        {"speaker": "customer", "offset_ms": 4000, "text": "I want to change my address."},
        {"speaker": "system", "offset_ms": 8000, "text": "All of our agents are busy; your call is important to us."},
    ]
    return rec


def _ingest(client: TestClient, org_keys: dict, records: list[dict[str, Any]]) -> dict[str, uuid.UUID]:
    body = b"\n".join(orjson.dumps(r) for r in records)
    headers = {**auth(org_keys["service"]), "content-type": "application/x-ndjson"}
    assert client.post("/v1/interactions/bulk", content=body, headers=headers).status_code == 200
    found = client.get("/v1/interactions?limit=100", headers=auth(org_keys["analyst"])).json()
    items = found["items"] if isinstance(found, dict) else found
    return {i["external_id"]: uuid.UUID(i["id"]) for i in items}


def _evaluations(app: Any, iid: uuid.UUID) -> list[QaEvaluation]:
    with app.state.session_factory() as s:
        return list(s.scalars(select(QaEvaluation).where(QaEvaluation.interaction_id == iid)))


def _legacy_evaluation(app: Any, iid: uuid.UUID) -> uuid.UUID:
    """An evaluation of the agentless contact as scoring wrote them before (49.02, no agent), with a dispute."""
    with app.state.session_factory() as s:
        card = s.scalars(select(QaScorecard).where(QaScorecard.active.is_(True))).one()
        ev = QaEvaluation(
            org_id=card.org_id,
            interaction_id=iid,
            scorecard_id=card.id,
            scorecard_name=card.name,
            version=card.version,
            agent_id=None,
            agent_kind=None,
            total=49.02,
            auto_failed=False,
            sections={"Opening": 0.0},
            criteria=[{"criterion": "greeting", "status": "fail", "evidence": [], "detail": "never said"}],
        )
        s.add(ev)
        s.flush()
        s.add(QaDispute(org_id=card.org_id, evaluation_id=ev.id, criterion="greeting", reason="x", history=[]))
        s.commit()
        return ev.id


def _qa_scores(app: Any, org_id: str) -> dict[uuid.UUID, float]:
    """The QA score of each contact as analytics reads it (its port)."""
    with app.state.session_factory() as s:
        return dict(QaEvaluationScores().scores(s, org_id=uuid.UUID(org_id), since=WHEN[0], until=WHEN[1]))


def test_the_ended_consumer_scores_only_contacts_an_agent_took_part_in(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=auth(org_keys["supervisor"])).status_code == 201
    )
    ids = _ingest(client, org_keys, [_call(0, True), _call(1, False), _abandoned(2)])
    drain_events(app)
    evs = client.get("/v1/qa/evaluations", headers=auth(org_keys["analyst"])).json()
    assert {uuid.UUID(e["interaction_id"]) for e in evs} == {ids["c-0"], ids["c-1"]}
    assert all(e["agent_id"] for e in evs)
    assert set(_qa_scores(app, org_keys["org_id"])) == {ids["c-0"], ids["c-1"]}


def test_scoring_an_agentless_contact_explicitly_is_a_409_that_says_why(
    client: TestClient, org_keys: dict, app
) -> None:  # type: ignore[no-untyped-def]
    sup = auth(org_keys["supervisor"])
    ids = _ingest(client, org_keys, [_call(0, True), _abandoned(2)])
    nothing = client.post(f"/v1/qa/interactions/{ids['c-2']}/score", headers=sup)
    assert nothing.status_code == 404 and "no active scorecard" in nothing.json()["error"]["message"]
    assert client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=sup).status_code == 201
    missing = client.post(f"/v1/qa/interactions/{uuid.uuid4()}/score", headers=sup)
    assert missing.status_code == 404 and "no ended interaction" in missing.json()["error"]["message"]

    legacy = _legacy_evaluation(app, ids["c-2"])  # scored before the rule, as an existing database holds it
    assert ids["c-2"] in _qa_scores(app, org_keys["org_id"])
    r = client.post(f"/v1/qa/interactions/{ids['c-2']}/score", headers=sup)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["details"]["reason"] == "no_agent_turn" and "no agent or AI turn" in error["message"]
    # the stale evaluation (and the dispute on it) is dropped, and that is committed with the 409
    assert _evaluations(app, ids["c-2"]) == []
    with app.state.session_factory() as s:
        assert s.scalar(select(func.count()).where(QaDispute.evaluation_id == legacy)) == 0
    assert ids["c-2"] not in _qa_scores(app, org_keys["org_id"])
    assert client.get(f"/v1/qa/evaluations/{legacy}", headers=auth(org_keys["analyst"])).status_code == 404

    scored = client.post(f"/v1/qa/interactions/{ids['c-0']}/score", headers=sup)
    assert scored.status_code == 200 and len(scored.json()) == 1


def test_a_new_version_does_not_score_agentless_contacts_and_drops_their_old_evaluations(
    client: TestClient, org_keys: dict, app
) -> None:  # type: ignore[no-untyped-def]
    sup = auth(org_keys["supervisor"])
    assert client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=sup).status_code == 201
    ids = _ingest(client, org_keys, [_call(0, True), _call(1, False), _abandoned(2), _abandoned(3)])
    drain_events(app)
    _legacy_evaluation(app, ids["c-2"])  # v1 had scored it (before the rule)
    v2 = DEMO.replace("version: 1", "version: 2")
    assert client.post("/v1/qa/scorecards", json={"source": v2}, headers=sup).status_code == 201
    drain_events(app)  # the re-score of history, in qa.rescore jobs
    evs = client.get("/v1/qa/evaluations?limit=500", headers=auth(org_keys["analyst"])).json()
    by_version = {v: {uuid.UUID(e["interaction_id"]) for e in evs if e["version"] == v} for v in (1, 2)}
    assert by_version == {1: {ids["c-0"], ids["c-1"]}, 2: {ids["c-0"], ids["c-1"]}}
    assert set(_qa_scores(app, org_keys["org_id"])) == {ids["c-0"], ids["c-1"]}


def test_cli_score_skips_agentless_contacts_and_says_so(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["qa", "publish", str(DEMO_PATH)]).exit_code == 0
    data = tmp_path / "calls.ndjson"
    data.write_bytes(b"\n".join(orjson.dumps(r) for r in [_call(0, True), _call(1, False), _abandoned(2)]))
    assert runner.invoke(cli, ["import", str(data), "--format", "ndjson"]).exit_code == 0
    out = runner.invoke(cli, ["qa", "score", "--since", "2026-03-01"])
    assert out.exit_code == 0, out.output
    assert "scored 2 interactions (2 evaluations); 1 with no agent or AI turn not scored" in out.output
    with open_db()() as s:
        abandoned = s.scalars(select(Interaction.id).where(Interaction.external_id == "c-2")).one()
        assert s.scalar(select(func.count()).select_from(QaEvaluation)) == 2
        assert s.scalar(select(func.count()).where(QaEvaluation.interaction_id == abandoned)) == 0
