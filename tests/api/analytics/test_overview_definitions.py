"""One definition on both overview pages, drill-down totals and its no-region row, repeat windows closing against
the data horizon: the daily overview (interactions) and the operations overview (analytics) on the same contacts."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.analytics.conftest import CONTACTS, NOW, contact, ingest
from tests.conftest import auth, make_org_keys


def get(client: TestClient, headers: dict, path: str, **params):  # type: ignore[no-untyped-def]
    r = client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_daily_and_operations_overviews_agree(client: TestClient, centre: dict) -> None:
    daily = get(client, centre["reader"], "/v1/overview/daily", days=30)
    ops = get(client, centre["reader"], "/v1/analytics/overview")
    # the same range: the 30 days up to the newest contact, [since, until)
    assert (at(daily["since"]), at(daily["until"])) == (at(ops["since"]), at(ops["until"]))
    assert at(daily["until"]) - at(daily["since"]) == timedelta(days=30)
    newest = max(at(c["started_at"]) for c in CONTACTS)
    assert at(daily["until"]) == newest + timedelta(seconds=1)
    # handle time over handled contacts only (the abandoned one and its 0 s are left out), CSAT of given scores
    handled = [c for c in CONTACTS if c["outcome"] != "abandoned"]
    expected_aht = sum(c["talk_s"] + c["hold_s"] + c["wrap_s"] for c in handled) / len(handled)
    scores = [c["csat"] for c in CONTACTS if c.get("csat") is not None]
    totals, kpis = daily["totals"], ops["kpis"]
    assert totals["volume"] == kpis["volume"] == len(CONTACTS)
    assert totals["handled"] == len(handled) and totals["abandoned"] == 1
    assert totals["aht_s"] == kpis["aht_s"] == round(expected_aht, 2)
    assert totals["csat"] == kpis["csat"] == round(sum(scores) / len(scores), 2)
    # the rows add up to the totals, and each row's means are its own sums' ratios
    for key in ("volume", "handled", "handle_s", "csat_n", "csat_sum", "abandoned", "resolved", "ai_involved"):
        assert sum(r[key] for r in daily["rows"]) == totals[key], key
    for r in daily["rows"]:
        assert r["aht_s"] == (round(r["handle_s"] / r["handled"], 2) if r["handled"] else None)
    # UTC days, as the operations overview's trend buckets
    assert sorted({r["day"] for r in daily["rows"]}) == sorted({b["bucket"][:10] for b in ops["trend"]})


def test_daily_overview_window_and_bad_ranges(client: TestClient, centre: dict) -> None:
    one = get(client, centre["reader"], "/v1/overview/daily", days=1)
    newest = max(at(c["started_at"]) for c in CONTACTS)
    assert one["totals"]["volume"] == sum(1 for c in CONTACTS if at(c["started_at"]) > newest - timedelta(days=1))
    for days in (0, 367, "many"):
        r = client.get("/v1/overview/daily", params={"days": days}, headers=centre["reader"])
        assert r.status_code == 422 and r.json()["error"]["field"].endswith("days"), r.text
    r = client.get("/v1/overview/daily", headers=auth(centre["keys"]["agent"]))
    assert r.status_code == 403


def test_daily_overview_of_an_empty_organisation(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    other = make_org_keys(app.state.session_factory, "empty-org")
    body = get(client, auth(other["analyst"]), "/v1/overview/daily")
    assert body["rows"] == [] and body["totals"]["volume"] == 0
    assert body["totals"]["aht_s"] is None and body["totals"]["csat"] is None
    assert at(body["until"]) - at(body["since"]) == timedelta(days=30)


def test_drilldown_has_totals_and_explains_its_no_region_row(client: TestClient, centre: dict) -> None:
    # two callers who hung up before reaching anyone: no agent, so no team and no region
    lost = [
        contact(50 + i, NOW - timedelta(hours=30 + i), [], outcome="abandoned", talk_s=0, wrap_s=0,
                attributes={"wait_s": 90}, customer={"external_id": f"L{i}"})
        for i in range(2)
    ]  # fmt: skip
    ingest(client, centre["keys"]["service"], lost)
    body = get(client, centre["reader"], "/v1/analytics/drilldown")
    rows = {r["region"]: r for r in body["rows"]}
    totals = body["totals"]
    assert totals["volume"] == sum(r["volume"] for r in body["rows"]) == len(CONTACTS) + 2
    # the bot (an AI agent without a team) and the two lost callers
    unassigned = body["unassigned"]
    assert unassigned["value"] == "(none)" and unassigned["contacts"] == rows["(none)"]["volume"] == 4
    assert unassigned["abandoned"] == 2
    assert "abandoned before reaching an agent" in unassigned["label"] and "2 other" in unassigned["label"]
    assert "without a team" in unassigned["note"] and unassigned["note"] in body["notes"]
    # service level: the lost callers count in the total (offered, not answered in time) and in no named region
    waits = [(c["attributes"]["wait_s"], c["outcome"]) for c in CONTACTS + lost if "wait_s" in c.get("attributes", {})]
    met = sum(1 for w, outcome in waits if outcome != "abandoned" and w <= 20)
    assert totals["service_level"] == round(met / len(waits), 4)
    assert rows["(none)"]["service_level"] == 0.0
    # a level where every contact has a value: nothing to explain
    below = get(client, centre["reader"], "/v1/analytics/drilldown", region="US")
    assert below["unassigned"] is None and below["totals"]["volume"] == sum(r["volume"] for r in below["rows"])


def test_only_abandoned_contacts_without_region_are_labelled_so(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    ingest(
        client,
        org_keys["service"],
        [contact(1, NOW - timedelta(days=2), [], outcome="abandoned", talk_s=0, wrap_s=0, attributes={"wait_s": 40})],
    )
    body = get(client, auth(org_keys["analyst"]), "/v1/analytics/drilldown")
    assert body["unassigned"]["label"] == "no region: abandoned before reaching an agent"
    assert body["totals"]["service_level"] == 0.0


def test_repeat_windows_close_against_the_newest_contact(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    """History imported up to ten days ago: a contact of fifteen days ago cannot be known not to repeat (its
    7-day window runs past the newest contact), even though seven days have passed on the clock."""
    newest = NOW - timedelta(days=10)
    records = [
        contact(1, NOW - timedelta(days=25), [("h1", "human")], customer={"external_id": "A"}),
        contact(2, NOW - timedelta(days=20), [("h1", "human")], customer={"external_id": "A"}),  # repeats 1
        contact(3, NOW - timedelta(days=15), [("h1", "human")], customer={"external_id": "B"}),
        contact(4, newest, [("h1", "human")], customer={"external_id": "C"}),
    ]
    ingest(client, org_keys["service"], records)
    body = get(client, auth(org_keys["analyst"]), "/v1/analytics/metrics", metrics="repeat_rate,fcr_rate,volume")
    row = body["rows"][0]
    # measured: 1 (repeated) and 2 (its window closed by the newest contact); 3 and 4 are pending
    assert row["volume"] == 4 and row["repeat_rate"] == 0.5 and row["fcr_rate"] == 0.5
    assert at(body["params"]["data_horizon"]) == newest
    assert at(body["params"]["repeat_measured_before"]) == newest - timedelta(days=7)
    assert any("pending" in n for n in body["notes"])
    # metrics that do not depend on repeats carry no repeat window
    plain = get(client, auth(org_keys["analyst"]), "/v1/analytics/metrics", metrics="volume")
    assert "repeat_measured_before" not in plain["params"]
