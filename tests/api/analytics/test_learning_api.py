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
    # no AI on billing and only 5 contacts: too few to be worth a pilot (rule 1; it used to read "pilot")
    assert (by["billing"]["advice"], by["billing"]["advice_rule"]) == ("leave as is", 1)
    assert by["billing"]["recommendation"].startswith("leave as is: only 5 contacts in range")
    # 2 AI contacts, 1 with a closed window: no judgement yet
    assert by["delivery"]["advice"] == "gather evidence"
    assert "knowledge_coverage" in body["unavailable"] and "policy_coverage" in body["unavailable"]
    assert body["coverage_basis"] == {"knowledge_coverage": None, "policy_coverage": None}
    assert [r["advice"] for r in body["advice_rules"]][:3] == ["leave as is", "prepare", "pilot"]
    assert any("compare those two" in n for n in body["notes"])


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
    assert {"advice", "advice_rule", "advice_reason", "containment_rate_closed"} <= set(rows["delivery"])


def test_opportunity_map_says_what_each_coverage_figure_is(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    """A source's `basis` (its sample size and period) is shown beside its figure; without one, the page says
    that the sample size and period are not stated (not the knowledge health report's, which samples fewer)."""

    class Stated:
        basis = "share of the newest 20 customer questions of the last 90 days answered at confidence >= 0.5"

        def coverage(self, session, *, org_id, intents):  # type: ignore[no-untyped-def]
            return {"delivery": 0.6}

    class Unstated:
        def coverage(self, session, *, org_id, intents):  # type: ignore[no-untyped-def]
            return {"delivery": 1.0}

    app.state.analytics_ports = AnalyticsPorts(knowledge=Stated(), policy=Unstated())
    body = client.get("/v1/analytics/opportunities", params={"repeat_days": 1}, headers=centre["reader"]).json()
    assert body["coverage_basis"]["knowledge_coverage"] == Stated.basis
    assert body["coverage_basis"]["policy_coverage"].endswith("the source does not state the period")


def test_containment_and_verified_resolution_share_a_population(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    """Delivery's AI contacts: two 3 days old (window closed at repeat_days=1; one contained and resolved, one
    escalated) and, added here, one escalated an hour ago (pending). containment_rate counts all three;
    containment_rate_closed and the verified rate only the two closed ones, so they compare."""
    app.state.analytics_ports = AnalyticsPorts()
    young = contact(90, NOW - timedelta(hours=1), [("bot", "ai")], channel="chat", queue="chat-q",
                    customer={"external_id": "Y"}, intent="delivery", outcome="escalated")  # fmt: skip
    ingest(client, centre["keys"]["service"], [young])
    body = client.get("/v1/analytics/opportunities", params={"repeat_days": 1}, headers=centre["reader"]).json()
    row = next(r for r in body["rows"] if r["intent"] == "delivery")
    assert row["ai_contacts"] == 3 and row["pending_verification"] == 1
    assert row["containment_rate"] == round(1 / 3, 4)  # every AI contact in range
    assert row["containment_rate_closed"] == 0.5 and row["verified_automation_rate"] == 0.5  # the closed two


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
