"""The metrics API over a small known contact centre: values, slicing, drill-down, exports and bad input."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from cxops.domains.analytics.ports import AnalyticsPorts
from tests.api.analytics.conftest import NOW, contact, ingest
from tests.conftest import auth, make_org_keys


def get(client: TestClient, centre: dict, path: str, **params):  # type: ignore[no-untyped-def]
    r = client.get(path, params=params, headers=centre["reader"])
    assert r.status_code == 200, r.text
    return r.json()


def test_catalogue_documents_metrics_dimensions_and_grains(client: TestClient, centre: dict) -> None:
    body = get(client, centre, "/v1/analytics/catalogue")
    names = {m["name"] for m in body["metrics"]}
    assert {"verified_automation_rate", "service_level", "qa_score", "cost_per_contact"} <= names
    assert "region" in body["dimensions"] and any(g["name"] == "15min" for g in body["grains"])


def test_volume_by_region_follows_the_agents_teams(client: TestClient, centre: dict) -> None:
    body = get(client, centre, "/v1/analytics/metrics", metrics="volume", by="region")
    assert {r["region"]: r["volume"] for r in body["rows"]} == {"EU": 2, "US": 3, "(none)": 2}
    assert body["total_rows"] == 3


def test_resolution_repeat_and_verified_automation(client: TestClient, centre: dict) -> None:
    names = "fcr_rate,repeat_rate,verified_automation_rate,containment_rate,pending_verification,service_level"
    row = get(client, centre, "/v1/analytics/metrics", metrics=names, repeat_days=1)["rows"][0]
    assert row["fcr_rate"] == 0.5
    assert row["repeat_rate"] == 0.2
    assert row["verified_automation_rate"] == 0.5
    assert row["containment_rate"] == 0.5
    assert row["pending_verification"] == 0
    assert row["service_level"] == round(1 / 3, 4)
    # with the default 7-day window every contact is still pending: nothing is verified yet
    week = get(client, centre, "/v1/analytics/metrics", metrics=names)["rows"][0]
    assert week["verified_automation_rate"] is None and week["pending_verification"] == 2


def test_slices_by_channel_and_time_grain(client: TestClient, centre: dict) -> None:
    body = get(client, centre, "/v1/analytics/metrics", metrics="volume,aht_s", by="channel", grain="day")
    chat = [r for r in body["rows"] if r["channel"] == "chat"]
    assert sum(r["volume"] for r in chat) == 3
    assert all(r["bucket"].endswith("T00:00:00Z") for r in body["rows"])
    filtered = get(client, centre, "/v1/analytics/metrics", metrics="volume", channel="chat", by="intent")
    assert {r["intent"]: r["volume"] for r in filtered["rows"]} == {"delivery": 2, "billing": 1}


def test_drilldown_region_to_agent(client: TestClient, centre: dict) -> None:
    top = get(client, centre, "/v1/analytics/drilldown")
    assert top["level"] == "region"
    loc = get(client, centre, "/v1/analytics/drilldown", region="US")
    assert loc["level"] == "location" and [r["location"] for r in loc["rows"]] == ["austin"]
    team = get(client, centre, "/v1/analytics/drilldown", region="US", location="austin")
    assert [r["team"] for r in team["rows"]] == ["t-aus"]
    agents = get(client, centre, "/v1/analytics/drilldown", region="US", location="austin", team="t-aus")
    assert agents["level"] == "agent" and agents["rows"][0]["agent"] == "h2" and agents["rows"][0]["volume"] == 3
    assert agents["path"][-1] == {"level": "team", "value": "t-aus"}


def test_overview_kpis_trend_and_unavailable_ports(client: TestClient, centre: dict) -> None:
    body = get(client, centre, "/v1/analytics/overview")
    assert body["kpis"]["volume"] == 7
    assert sum(r["volume"] for r in body["trend"]) == 7
    assert {r["agent_kind"] for r in body["by_agent_kind"]} == {"human", "ai"}
    # both sources are bound, but nothing is scored yet (no evaluation; events not delivered, so no ledger entry)
    assert (
        body["kpis"]["qa_score"] is None
        and "no contact in this selection has a QA evaluation" in (body["unavailable"]["qa_score"])
    )
    assert (
        body["kpis"]["trust_index"] is None
        and "trust ledger holds no automated contact" in (body["unavailable"]["trust_index"])
    )


def test_bound_score_port_feeds_qa_score(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    class FixedScores:
        def scores(self, session, *, org_id, since, until):  # type: ignore[no-untyped-def]
            ids = client.get("/v1/interactions", params={"limit": 2}, headers=centre["reader"]).json()["items"]
            return {uuid.UUID(ids[0]["id"]): 60.0, uuid.UUID(ids[1]["id"]): 80.0}

    app.state.analytics_ports = AnalyticsPorts(qa=FixedScores())
    body = get(client, centre, "/v1/analytics/metrics", metrics="qa_score")
    assert body["rows"][0]["qa_score"] == 70.0 and "qa_score" not in body["unavailable"]


def test_new_contacts_show_up_after_ingestion(client: TestClient, centre: dict) -> None:
    before = get(client, centre, "/v1/analytics/metrics", metrics="volume")["rows"][0]["volume"]
    ingest(client, centre["keys"]["service"], [contact(99, NOW - timedelta(minutes=1), [("h1", "human")])])
    after = get(client, centre, "/v1/analytics/metrics", metrics="volume")["rows"][0]["volume"]
    assert after == before + 1


def test_csv_and_parquet_exports(client: TestClient, centre: dict) -> None:
    params = {"metrics": "volume,aht_s", "by": "region", "format": "csv"}
    r = client.get("/v1/analytics/metrics", params=params, headers=centre["reader"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["region"]: int(row["volume"]) for row in rows} == {"EU": 2, "US": 3, "(none)": 2}
    r = client.get("/v1/analytics/drilldown", params={"format": "parquet"}, headers=centre["reader"])
    assert r.status_code == 200 and "parquet" in r.headers["content-disposition"]
    table = pq.read_table(io.BytesIO(r.content)).to_pylist()
    assert sorted(t["region"] for t in table) == ["(none)", "EU", "US"]


def test_overview_exports_each_of_its_tables(client: TestClient, centre: dict) -> None:
    r = client.get("/v1/analytics/overview", params={"format": "csv"}, headers=centre["reader"])
    assert r.status_code == 200 and 'filename="overview-trend.csv"' in r.headers["content-disposition"]
    assert sum(int(row["volume"]) for row in csv.DictReader(io.StringIO(r.text))) == 7
    params = {"format": "csv", "table": "by_agent_kind"}
    r = client.get("/v1/analytics/overview", params=params, headers=centre["reader"])
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert r.text.startswith("agent_kind,") and {row["agent_kind"]: int(row["volume"]) for row in rows} == {
        "human": 5,
        "ai": 2,
    }
    params = {"format": "parquet", "table": "by_channel"}
    r = client.get("/v1/analytics/overview", params=params, headers=centre["reader"])
    table = pq.read_table(io.BytesIO(r.content)).to_pylist()
    assert {t["channel"]: t["volume"] for t in table} == {"voice": 4, "chat": 3}
    r = client.get("/v1/analytics/overview", params={"table": "kpis"}, headers=centre["reader"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "query.table"


def test_paging(client: TestClient, centre: dict) -> None:
    page = get(client, centre, "/v1/analytics/metrics", metrics="volume", by="region", limit=1, offset=1)
    assert len(page["rows"]) == 1 and page["total_rows"] == 3


def bad(client: TestClient, centre: dict, path: str, status: int = 422, **params) -> dict:  # type: ignore[no-untyped-def]
    r = client.get(path, params=params, headers=centre["reader"])
    assert r.status_code == status, r.text
    return r.json()["error"]


def test_bad_input_is_refused_with_specific_errors(client: TestClient, centre: dict) -> None:
    m = "/v1/analytics/metrics"
    assert "unknown metric 'nps'" in bad(client, centre, m, metrics="volume,nps")["message"]
    assert "unknown dimension 'planet'" in bad(client, centre, m, by="planet")["message"]
    assert bad(client, centre, m, by="region,team,agent,queue")["field"] == "by"
    err = bad(client, centre, m, since="2026-03-10T00:00:00Z", until="2026-03-01T00:00:00Z")
    assert err["field"] == "until" and "inverted" in err["message"]
    err = bad(client, centre, m, grain="15min", since="2026-01-01T00:00:00Z", until="2026-03-01T00:00:00Z")
    assert "31-day limit" in err["message"]
    assert "400-day" in bad(client, centre, m, since="2024-01-01T00:00:00Z", until="2026-03-01T00:00:00Z")["message"]
    assert "timezone" in bad(client, centre, m, since="2026-03-01T00:00:00")["message"]
    err = bad(client, centre, m, until="0001-01-01T00:00:00Z")  # was a 500 (date arithmetic overflowed)
    assert err["field"] == "until" and "out of range" in err["message"]
    assert bad(client, centre, m, limit=5000)["field"].endswith("limit")
    assert "unknown grain" in bad(client, centre, m, grain="fortnight")["message"]
    assert bad(client, centre, m, sort="nps")["field"] == "sort"
    assert bad(client, centre, m, repeat_days=90)["field"].endswith("repeat_days")
    assert bad(client, centre, m, format="xlsx")["field"].endswith("format")
    err = bad(client, centre, "/v1/analytics/drilldown", agent="h1")
    assert "lowest level" in err["message"]


def test_agents_may_not_see_analytics(client: TestClient, centre: dict) -> None:
    for path in ("/v1/analytics/metrics", "/v1/analytics/overview", "/v1/analytics/live"):
        r = client.get(path, headers=auth(centre["keys"]["agent"]))
        assert r.status_code == 403 and "agent" in r.json()["error"]["message"]


def test_other_organisations_see_none_of_these_contacts(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    other = make_org_keys(app.state.session_factory, "other-org")
    r = client.get("/v1/analytics/metrics", params={"metrics": "volume"}, headers=auth(other["analyst"]))
    assert r.status_code == 200 and r.json()["rows"] == [{"volume": 0}]
    live = client.get("/v1/analytics/live", headers=auth(other["analyst"])).json()
    assert live["totals"]["contacts"] == 0
    for path in ("/v1/analytics/overview", "/v1/analytics/drilldown", "/v1/analytics/opportunities"):
        r = client.get(path, headers=auth(other["analyst"]))
        assert r.status_code == 200, (path, r.text)
    assert client.get("/v1/analytics/overview", headers=auth(other["analyst"])).json()["kpis"]["volume"] == 0
