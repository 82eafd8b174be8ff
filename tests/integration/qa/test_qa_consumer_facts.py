"""An interaction scored by QA's event consumer (its `interactions.ended` event, a `qa.rescore` job after a new
scorecard version) is judged with the same facts as the API's scoring: the actions decided in it and the articles
cited in it (bound by the entrypoints, `FactsFromDomains`), so the policy and grounding criteria agree."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

import cxops.domains.qa as qa_pkg
from tests.conftest import auth, drain_events
from tests.factories import cited_article, denied_proposal, interaction

DEMO = (Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml").read_text()


def _with_facts(client: TestClient, org_keys: dict, app: Any, n: int) -> uuid.UUID:
    """An ended refund call whose answer cites an article, with a denied action decided in it (its event pending)."""
    rec = interaction(n, turns=0)
    rec["turns"] = [
        {"speaker": "customer", "offset_ms": 0, "text": "Can I get a refund?"},
        {"speaker": "agent", "offset_ms": 3000, "text": "Refunds are possible within 30 days."},
    ]
    r = client.post("/v1/interactions", json=rec, headers=auth(org_keys["service"]))
    assert r.status_code in (200, 201), r.text
    iid = uuid.UUID(r.json()["id"])
    org = uuid.UUID(org_keys["org_id"])
    with app.state.session_factory() as s:
        cited_article(s, org_id=org, interaction_id=iid, body="Refunds are accepted within 30 days of delivery.")
        denied_proposal(s, org_id=org, interaction_id=iid, key=f"k{n}", turn_seq=1)
        s.commit()
    return iid


def _evaluations(client: TestClient, org_keys: dict, iid: uuid.UUID) -> dict[int, dict[str, Any]]:
    r = client.get(f"/v1/qa/evaluations?interaction_id={iid}", headers=auth(org_keys["analyst"]))
    assert r.status_code == 200, r.text
    return {e["version"]: e for e in r.json()}


def _judged(ev: dict[str, Any]) -> tuple[Any, ...]:
    """What an evaluation concluded (not when it was scored)."""
    return ev["total"], ev["auto_failed"], ev["sections"], ev["criteria"], ev["agent_id"]


def test_the_event_consumer_scores_with_the_same_facts_as_the_api(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    sup = auth(org_keys["supervisor"])
    assert client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=sup).status_code == 201
    iid = _with_facts(client, org_keys, app, 1)
    assert _evaluations(client, org_keys, iid) == {}  # nothing scored until the 'ended' event is delivered

    drain_events(app)  # the interactions.ended consumer scores it
    from_event = _evaluations(client, org_keys, iid)[1]
    crit = {c["criterion"]: c for c in from_event["criteria"]}
    assert crit["grounded"]["status"] == "pass" and "1/1 facts" in crit["grounded"]["detail"]
    assert crit["policy"]["status"] == "fail" and "return_delivered_order_items" in crit["policy"]["detail"]

    api = client.post(f"/v1/qa/interactions/{iid}/score", headers=sup)  # the API path re-scores the same contact
    assert api.status_code == 200, api.text
    from_api = api.json()[0]
    assert from_api["id"] == from_event["id"]  # updated in place
    assert _judged(from_api) == _judged(from_event)

    # A new scorecard version re-scores history through `qa.rescore` jobs: the same facts again.
    v2 = DEMO.replace("version: 1", "version: 2")
    assert client.post("/v1/qa/scorecards", json={"source": v2}, headers=sup).status_code == 201
    drain_events(app)
    rescored = _evaluations(client, org_keys, iid)[2]
    assert _judged(rescored) == _judged(from_api)
    again = client.post(f"/v1/qa/interactions/{iid}/score", headers=sup).json()
    assert [_judged(e) for e in again if e["version"] == 2] == [_judged(rescored)]
