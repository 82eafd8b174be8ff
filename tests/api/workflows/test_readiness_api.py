"""The readiness report through the API on real (small) data."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient

from tests.api.trust.helpers import record
from tests.conftest import auth
from tests.factories import interaction


def test_readiness_report(client: TestClient, org_keys: dict) -> None:
    records = [
        interaction(
            i,
            intent=["refund", "billing_dispute", "password_reset"][i % 3],
            disposition="standard" if i % 2 else "workaround",
        )
        for i in range(30)
    ]
    body = b"\n".join(orjson.dumps(r) for r in records)
    client.post(
        "/v1/interactions/bulk",
        content=body,
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    r = client.get("/v1/readiness", headers=auth(org_keys["analyst"]))
    assert r.status_code == 200, r.text
    report = r.json()
    pillars = {p["name"]: p for p in report["pillars"]}
    assert set(pillars) == {"knowledge", "process", "integration", "governance", "trust", "workforce"}
    assert pillars["knowledge"]["score"] == 0.0 and "no knowledge source" in pillars["knowledge"]["evidence"][0]
    assert pillars["workforce"]["score"] == 0.0
    assert any("audit chain verified" in e for e in pillars["governance"]["evidence"])
    assert 0 < pillars["process"]["score"] < 100
    assert report["trajectory"] in {
        "automation plateau",
        "autonomous enterprise",
        "managed intelligence",
        "trust collapse",
    }
    gains = [s["expected_overall_gain"] for s in report["next_steps"]]
    assert len(gains) == 3 and gains == sorted(gains, reverse=True)
    assert client.get("/v1/readiness", headers=auth(org_keys["agent"])).status_code == 403


def test_the_trust_pillar_is_the_trust_index_the_other_pages_show(client: TestClient, org_keys: dict) -> None:
    """100 x the share of the last 30 days' automated contacts whose customer was not automation-averse (two poor
    experiences in the policy window), the analytics overview's trust index; not a separate customer-share scale
    on which 30% averse already read 0."""
    records = [
        # t-a: three escalations; averse from its second (its own entry counts), so 100, 0, 0
        record(customer="t-a", hours_ago=50, handoff=True, outcome="escalated", intent="x"),
        record(customer="t-a", hours_ago=40, handoff=True, outcome="escalated", intent="y"),
        record(customer="t-a", hours_ago=30, handoff=True, outcome="escalated", intent="z"),
        # t-b: two resolutions on different intents (no repeat contact): 100, 100
        record(customer="t-b", hours_ago=20, intent="billing"),
        record(customer="t-b", hours_ago=10, intent="refund"),
        # a human-only contact is no automated experience and is not counted
        record(customer="t-c", hours_ago=5, ai=False, intent="billing"),
    ]
    r = client.post(
        "/v1/interactions/bulk",
        content=b"\n".join(orjson.dumps(x) for x in records),
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    client.app.state.dispatcher.run_once()  # type: ignore[attr-defined]
    report = client.get("/v1/readiness", headers=auth(org_keys["analyst"])).json()
    trust = next(p for p in report["pillars"] if p["name"] == "trust")
    assert trust["score"] == 60.0  # (100 + 0 + 0 + 100 + 100) / 5
    assert "over 5 automated contacts" in trust["evidence"][0]
    assert report["trajectory"] != "trust collapse"
    overview = client.get("/v1/analytics/overview", headers=auth(org_keys["analyst"]))
    assert overview.status_code == 200, overview.text
    assert overview.json()["kpis"]["trust_index"] == 60.0
