"""Unknown query parameters on the analytics routes: a 422 naming them, never the default answer in disguise."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cxops.domains.analytics.ports import AnalyticsPorts


def _refused(client: TestClient, centre: dict, path: str, params: dict) -> dict:  # type: ignore[type-arg]
    r = client.get(path, params=params, headers=centre["reader"])
    assert r.status_code == 422, r.text
    return r.json()["error"]


@pytest.mark.parametrize("days", ["7", "0", "100000"])
def test_overview_refuses_days_instead_of_answering_30_days(client: TestClient, centre: dict, days: str) -> None:
    err = _refused(client, centre, "/v1/analytics/overview", {"days": days})
    assert err["code"] == "validation_failed" and err["field"] == "query.days"
    assert err["message"].startswith("unknown query parameter 'days'; accepted: ")
    accepted = err["details"]["accepted"]
    assert {"since", "until", "repeat_days", "format", "table", "region", "intent"} <= set(accepted)
    assert err["details"]["unknown"] == ["days"] and "days" not in accepted
    assert ", ".join(accepted) in err["message"]


def test_drilldown_refuses_level(client: TestClient, centre: dict) -> None:
    err = _refused(client, centre, "/v1/analytics/drilldown", {"level": "team", "region": "EU"})
    assert err["field"] == "query.level" and "'level'" in err["message"]
    assert {"region", "location", "team", "agent", "metrics", "limit", "offset"} <= set(err["details"]["accepted"])


def test_every_unknown_parameter_is_named(client: TestClient, centre: dict) -> None:
    err = _refused(client, centre, "/v1/analytics/metrics", {"metrics": "volume", "dayz": "7", "Grain": "day"})
    assert err["details"]["unknown"] == ["Grain", "dayz"]  # names are case-sensitive, as FastAPI reads them
    assert err["message"].startswith("unknown query parameters 'Grain', 'dayz'; accepted: ")
    assert err["field"] == "query.Grain"


COMMON = {"since", "until", "region", "location", "team", "agent", "agent_kind", "queue", "channel", "intent"}
COMMON |= {"repeat_days", "cost_human_minute", "cost_ai_interaction", "format"}


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("/v1/analytics/catalogue", set()),
        ("/v1/analytics/opportunities", COMMON),
        ("/v1/analytics/topics", {"k", "max_docs", "unlabelled_only", "since", "until", "format"}),
        ("/v1/analytics/live", {"table", "format"}),
        ("/v1/analytics/live/stream", {"max_events"}),
    ],
)
def test_each_route_lists_what_it_accepts(client: TestClient, centre: dict, app, path: str, accepted: set) -> None:  # type: ignore[no-untyped-def,type-arg]
    app.state.analytics_ports = AnalyticsPorts()
    # max_events=1: were the parameter ignored, the stream would still end after one event
    params = {"bogus": "1", **({"max_events": "1"} if path.endswith("stream") else {})}
    err = _refused(client, centre, path, params)
    assert err["field"] == "query.bogus" and set(err["details"]["accepted"]) == accepted
    if not accepted:
        assert err["message"].endswith("accepted: none")


def test_accepted_parameters_still_work(client: TestClient, centre: dict) -> None:
    ok = client.get(
        "/v1/analytics/overview",
        params={"repeat_days": 1, "channel": "voice", "format": "csv", "table": "by_channel"},
        headers=centre["reader"],
    )
    assert ok.status_code == 200 and ok.text.startswith("channel,"), ok.text
    body = client.get("/v1/analytics/drilldown", params={"region": "EU"}, headers=centre["reader"]).json()
    assert body["level"] == "location"
    live = client.get("/v1/analytics/live", params={"table": "teams"}, headers=centre["reader"])
    assert live.status_code == 200


def test_a_bad_value_of_a_known_parameter_is_still_a_field_error(client: TestClient, centre: dict) -> None:
    err = _refused(client, centre, "/v1/analytics/overview", {"repeat_days": "0"})
    assert err["field"] == "query.repeat_days"


def test_without_credentials_it_is_still_401(client: TestClient, centre: dict) -> None:
    assert client.get("/v1/analytics/overview").status_code == 401
