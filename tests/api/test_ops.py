"""Health, readiness, metrics, OpenAPI, console shell, rate and size limits."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxops.core.config import load_settings
from cxops.entrypoints.http.app import create_app
from tests.conftest import auth, drain_events, make_org_keys
from tests.factories import interaction


def test_health_ready_metrics_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["schema"]
    client.get("/v1/me")
    metrics = client.get("/metrics").text
    assert "cxops_http_requests_total" in metrics and 'route="/v1/me"' in metrics
    spec = client.get("/openapi.json").json()
    assert "/v1/interactions/bulk" in spec["paths"]


def test_not_ready_when_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        {"CXOPS_DATA_DIR": str(tmp_path), "CXOPS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    app = create_app(settings, migrate=False, dispatch=False)
    with TestClient(app) as c:
        r = c.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "not_ready"


def test_console_shell_lists_pages_and_serves_no_outside_assets(client: TestClient) -> None:
    html = client.get("/").text
    assert "/static/pages/foundation.js" in html and "http" not in html.split("<body>")[1]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../core/db.py").status_code == 404
    assert client.get("/static/%2e%2e/routes.py").status_code == 404


def test_rate_limit_per_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings({"CXOPS_DATA_DIR": str(tmp_path), "CXOPS_RATE_LIMIT_PER_MINUTE": "5"})
    app = create_app(settings, dispatch=False)
    with TestClient(app) as c:
        keys = make_org_keys(app.state.session_factory, "acme")
        codes = [c.get("/v1/me", headers=auth(keys["admin"])).status_code for _ in range(8)]
        other = c.get("/v1/me", headers=auth(keys["analyst"])).status_code
    assert codes[:5] == [200] * 5 and codes[-1] == 429
    assert other == 200


def test_unknown_route_is_json_404(client: TestClient) -> None:
    r = client.get("/v1/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_backlog_says_what_the_background_still_has_to_do(client: TestClient, app, org_keys: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """The client fixture's app does not dispatch: an ingested interaction waits in the outbox until drained."""
    analyst = auth(org_keys["analyst"])
    assert client.get("/v1/backlog", headers=analyst).json()["pending"] == 0
    other = make_org_keys(app.state.session_factory, "other-org")
    r = client.post("/v1/interactions", json=interaction(1), headers=auth(org_keys["service"]))
    assert r.status_code < 300, r.text
    backlog = client.get("/v1/backlog", headers=analyst).json()
    assert backlog["pending"] >= 1 and backlog["mode"] == "embedded"
    ended = next(t for t in backlog["types"] if t["type"] == "interactions.ended")
    assert ended["pending"] == 1 and ended["retrying"] == 0 and ended["oldest_age_s"] >= 0
    assert {"qa.scoring", "assist.documentation", "trust.ledger"} <= set(ended["consumers"])
    assert client.get("/v1/backlog", headers=auth(other["analyst"])).json()["pending"] == 0  # per organisation
    assert client.get("/v1/backlog", headers=auth(org_keys["agent"])).status_code == 403
    drain_events(app)
    assert client.get("/v1/backlog", headers=analyst).json() == {
        "pending": 0,
        "oldest_age_s": 0.0,
        "mode": "embedded",
        "types": [],
    }
