"""`POST /v1/directory/names`: the display names the console shows instead of the ids other read models carry
(a proposal's customer and actor, an evaluation's agent), for readers of the caller's organisation only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth, make_org_keys
from tests.factories import interaction


def test_names_resolve_customers_and_agents_of_the_callers_organisation(
    client: TestClient, org_keys: dict, app
) -> None:  # type: ignore[no-untyped-def]
    admin = auth(org_keys["admin"])
    record = interaction(1, customer={"external_id": "u-ada", "display_name": "Ada Lovelace"})
    assert client.post("/v1/interactions", json=record, headers=auth(org_keys["service"])).status_code == 201
    assert (
        client.post("/v1/agents", json={"code": "ai-kai", "name": "Kai (AI)", "kind": "ai"}, headers=admin).status_code
        == 201
    )
    customer_id = client.get("/v1/interactions?limit=1", headers=admin).json()["items"][0]["customer_id"]
    kai = next(a for a in client.get("/v1/agents", headers=admin).json() if a["code"] == "ai-kai")
    body = {
        "customers": [customer_id, "u-ada", "nobody", "00000000-0000-0000-0000-000000000000"],
        "agents": ["ai-kai", kai["id"], "key:whatever"],
    }
    for role in ("admin", "supervisor", "analyst"):
        r = client.post("/v1/directory/names", json=body, headers=auth(org_keys[role]))
        assert r.status_code == 200, r.text
        out = r.json()
        # by id and by the external id a source system knows the customer by; unknown references are left out
        assert set(out["customers"]) == {customer_id, "u-ada"}
        for ref in (customer_id, "u-ada"):
            assert out["customers"][ref] == {
                "id": customer_id,
                "display_name": "Ada Lovelace",
                "external_ids": ["test:u-ada"],
            }
        assert set(out["agents"]) == {"ai-kai", kai["id"]}
        assert out["agents"]["ai-kai"] == {"id": kai["id"], "code": "ai-kai", "name": "Kai (AI)", "kind": "ai"}

    # agents (and integrations) may not list customers: the directory is for readers
    for role in ("agent", "service"):
        assert client.post("/v1/directory/names", json=body, headers=auth(org_keys[role])).status_code == 403
    # another organisation's reader learns nothing about these customers or agents
    other = make_org_keys(app.state.session_factory, "other-names")
    r = client.post("/v1/directory/names", json=body, headers=auth(other["admin"]))
    assert r.status_code == 200 and r.json() == {"customers": {}, "agents": {}}
    # bounded input
    assert client.post("/v1/directory/names", json={"customers": ["x"] * 501}, headers=admin).status_code == 422
    assert client.post("/v1/directory/names", json={"people": []}, headers=admin).status_code == 422
