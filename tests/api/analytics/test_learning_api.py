"""The learning loop over HTTP: opportunity map per intent and topics in unlabelled contacts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient

from cxops.domains.analytics.ports import AnalyticsPorts
from tests.api.analytics.conftest import NOW, contact, ingest
from tests.unit.analytics.test_learning import banking_sample


def test_opportunity_map_without_coverage_sources(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    app.state.analytics_ports = AnalyticsPorts()
    r = client.get("/v1/analytics/opportunities", params={"repeat_days": 1}, headers=centre["reader"])
    assert r.status_code == 200, r.text
    body = r.json()
    by = {row["intent"]: row for row in body["rows"]}
    assert set(by) == {"billing", "delivery"}
    assert by["delivery"]["verified_automation_rate"] == 0.5 and by["delivery"]["ai_contacts"] == 2
    assert by["delivery"]["opportunity"] == 1.0  # 2 contacts x 0.5, coverages not available
    assert by["billing"]["recommendation"].startswith("pilot")
    assert "knowledge_coverage" in body["unavailable"] and "policy_coverage" in body["unavailable"]


def test_opportunity_map_uses_bound_coverage(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    class Coverage:
        def coverage(self, session, *, org_id, intents):  # type: ignore[no-untyped-def]
            return {"delivery": 0.5}

    app.state.analytics_ports = AnalyticsPorts(knowledge=Coverage(), policy=Coverage())
    r = client.get("/v1/analytics/opportunities", params={"repeat_days": 1, "format": "csv"}, headers=centre["reader"])
    rows = {row["intent"]: row for row in csv.DictReader(io.StringIO(r.text))}
    assert float(rows["delivery"]["opportunity"]) == 2 * 0.5 * 0.5 * 0.5
    assert rows["billing"]["knowledge_coverage"] == ""  # no evidence for billing: left out, not zero
    assert float(rows["billing"]["opportunity"] or 0) == 0.0


def test_topics_in_unlabelled_contacts(client: TestClient, centre: dict) -> None:
    texts, _labels = banking_sample()
    records = [
        contact(1000 + i, NOW - timedelta(days=1, minutes=i), [("h1", "human")], intent=None,
                turns=[{"speaker": "customer", "offset_ms": 0, "text": text}])
        for i, text in enumerate(texts[:120])
    ]  # fmt: skip
    ingest(client, centre["keys"]["service"], records)
    r = client.get("/v1/analytics/topics", params={"k": 4}, headers=centre["reader"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["documents"] == 120 and len(body["topics"]) == 4
    assert sum(t["size"] for t in body["topics"]) == 120
    assert all(t["intents"][0]["intent"] == "(none)" for t in body["topics"])
    labelled = client.get("/v1/analytics/topics", params={"unlabelled_only": "false"}, headers=centre["reader"])
    assert labelled.json()["documents"] == 127


def test_topics_with_too_few_contacts_says_so(client: TestClient, centre: dict) -> None:
    body = client.get("/v1/analytics/topics", headers=centre["reader"]).json()
    assert body["topics"] == [] and "need 20" in body["note"]
    r = client.get("/v1/analytics/topics", params={"k": 99}, headers=centre["reader"])
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("k")
