"""QA reads the actions decided in an interaction and the articles cited in it (the entrypoint binding)."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient

import cxops.domains.qa as qa_pkg
from tests.conftest import auth
from tests.factories import cited_article, denied_proposal, interaction

DEMO = (Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml").read_text()


def test_policy_and_grounding_criteria_use_other_domains_facts(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=auth(org_keys["supervisor"]))
    rec = interaction(1, turns=0)
    rec["turns"] = [
        {"speaker": "customer", "offset_ms": 0, "text": "Can I get a refund?"},
        {"speaker": "agent", "offset_ms": 3000, "text": "Refunds are possible within 30 days."},
    ]
    iid = uuid.UUID(client.post("/v1/interactions", json=rec, headers=auth(org_keys["service"])).json()["id"])
    org = uuid.UUID(org_keys["org_id"])
    with app.state.session_factory() as s:
        cited_article(s, org_id=org, interaction_id=iid, body="Refunds are accepted within 30 days of delivery.")
        denied_proposal(s, org_id=org, interaction_id=iid, key="k1")
        s.commit()
    evs = client.post(f"/v1/qa/interactions/{iid}/score", headers=auth(org_keys["supervisor"])).json()
    crit = {c["criterion"]: c for c in evs[0]["criteria"]}
    assert crit["grounded"]["status"] == "pass" and "1/1 facts" in crit["grounded"]["detail"]
    assert crit["policy"]["status"] == "fail" and "return_delivered_order_items" in crit["policy"]["detail"]
