"""Trust ledger through the API: derived from ingested interactions, routing advice, policy, index."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.trust.helpers import ingest, record
from tests.conftest import auth, linked_key, new_agent_key


def test_two_poor_experiences_route_to_a_human_with_reasons(client: TestClient, org_keys: dict) -> None:
    first = ingest(client, org_keys, record(customer="c-a", hours_ago=72, handoff=True, outcome="escalated"))
    ingest(client, org_keys, record(customer="c-a", hours_ago=24, outcome="abandoned", intent="refund"))
    cid = first["customer_id"]
    agent = auth(linked_key(client, org_keys["admin"], "a-1"))  # the human the first contact was handed to
    advice = client.get(f"/v1/customers/{cid}/routing-advice", headers=agent).json()
    assert advice["route"] == "human_first" and advice["poor_in_window"] == 2
    assert {r["kind"] for r in advice["reasons"]} == {"ai_escalated", "abandoned_in_automation"}
    assert first["id"] in {r["interaction_id"] for r in advice["reasons"]}
    assert all(r["explanation"] for r in advice["reasons"]) and advice["score"] < 0.6
    assert advice["policy"]["max_poor"] == 2 and advice["policy"]["window_days"] == 30


def test_one_poor_and_one_good_experience_keeps_automation(client: TestClient, org_keys: dict) -> None:
    d = ingest(client, org_keys, record(customer="c-b", hours_ago=48, handoff=True, outcome="escalated"))
    ingest(client, org_keys, record(customer="c-b", hours_ago=5, intent="refund"))
    advice = client.get(f"/v1/customers/{d['customer_id']}/routing-advice", headers=auth(org_keys["service"])).json()
    assert advice["route"] == "automation_ok" and advice["poor_in_window"] == 1
    ledger = client.get(f"/v1/customers/{d['customer_id']}/trust", headers=auth(org_keys["analyst"])).json()
    assert [e["kind"] for e in ledger["experiences"]] == ["resolved_by_ai", "ai_escalated"]
    assert ledger["automation_averse"] is False and 0.75 < ledger["score"] < 1


def test_repeat_contact_and_negative_sentiment_are_derived(client: TestClient, org_keys: dict) -> None:
    ai = ingest(client, org_keys, record(customer="c-c", hours_ago=30, intent="delivery"))
    ingest(client, org_keys, record(customer="c-c", hours_ago=20, ai=False, intent="delivery"))
    ingest(client, org_keys, record(customer="c-c", hours_ago=2, intent="other", sentiment=-2.0))
    ledger = client.get(f"/v1/customers/{ai['customer_id']}/trust", headers=auth(org_keys["admin"])).json()
    kinds = sorted(e["kind"] for e in ledger["experiences"])
    assert kinds == ["negative_end_sentiment", "repeat_contact", "resolved_by_ai"]
    repeat = next(e for e in ledger["experiences"] if e["kind"] == "repeat_contact")
    assert repeat["interaction_id"] == ai["id"]


def test_reingesting_an_updated_interaction_replaces_its_entries(client: TestClient, org_keys: dict) -> None:
    rec = record(customer="c-d", hours_ago=10, handoff=True, outcome="escalated")
    d = ingest(client, org_keys, rec)
    rec["participants"] = [{"agent": "bot-1", "kind": "ai"}]
    rec["outcome"] = "resolved"
    ingest(client, org_keys, rec)
    ledger = client.get(f"/v1/customers/{d['customer_id']}/trust", headers=auth(org_keys["admin"])).json()
    assert [e["kind"] for e in ledger["experiences"]] == ["resolved_by_ai"]


def test_policy_is_configurable(client: TestClient, org_keys: dict) -> None:
    d = ingest(client, org_keys, record(customer="c-e", hours_ago=10, handoff=True, outcome="escalated"))
    url = f"/v1/customers/{d['customer_id']}/routing-advice"
    agent = auth(linked_key(client, org_keys["admin"], "a-1"))
    assert client.get(url, headers=agent).json()["route"] == "automation_ok"
    r = client.put("/v1/trust/policy", json={"max_poor": 1, "window_days": 7}, headers=auth(org_keys["supervisor"]))
    assert r.status_code == 200 and r.json()["max_poor"] == 1
    assert client.get(url, headers=agent).json()["route"] == "human_first"
    bad = client.put("/v1/trust/policy", json={"max_poor": 0}, headers=auth(org_keys["admin"]))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "max_poor"
    assert client.put("/v1/trust/policy", json={}, headers=auth(org_keys["analyst"])).status_code == 403


def test_unknown_customer_is_404(client: TestClient, org_keys: dict) -> None:
    missing = uuid.uuid4()
    for key in (org_keys["service"], new_agent_key(client, org_keys["admin"], "a-9")):
        r = client.get(f"/v1/customers/{missing}/routing-advice", headers=auth(key))
        assert r.status_code == 404 and str(missing) in r.json()["error"]["message"]


def test_trust_index_by_queue(client: TestClient, org_keys: dict) -> None:
    for hours in (30, 20):
        ingest(client, org_keys, record(customer="c-f", hours_ago=hours, handoff=True, outcome="escalated"))
    ingest(client, org_keys, record(customer="c-g", hours_ago=20, queue="tech-chat"))
    r = client.get("/v1/trust/index?group_by=queue&bucket=week", headers=auth(org_keys["analyst"]))
    assert r.status_code == 200, r.text
    last = [p for p in r.json() if p["bucket_start"] == r.json()[-1]["bucket_start"]]
    by_group = {p["group"]: p for p in last}
    assert by_group["billing-voice"]["averse"] == 1 and by_group["billing-voice"]["averse_share"] == 1.0
    assert by_group["tech-chat"]["averse"] == 0
    bad = client.get("/v1/trust/index?bucket=day&since=2020-01-01T00:00:00Z", headers=auth(org_keys["analyst"]))
    assert bad.status_code == 422 and "buckets" in bad.json()["error"]["message"]
