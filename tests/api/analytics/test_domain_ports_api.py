"""The figures analytics reads from other domains through the ports the app binds: the trust index from the
trust ledger, knowledge coverage from knowledge search, policy coverage from the action proposals and packs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cxops.core.db import unit_of_work
from cxops.domains.actions.models import ActionProposal
from cxops.entrypoints.analytics_ports import analytics_ports
from tests.api.analytics.conftest import NOW, contact, ingest
from tests.conftest import auth, drain_events
from tests.knowledge_support import shared_embedder


def get(client: TestClient, centre: dict, path: str, **params: Any) -> dict[str, Any]:
    r = client.get(path, params=params, headers=centre["reader"])
    assert r.status_code == 200, r.text
    return r.json()


def test_trust_index_from_the_ledger(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    # The ledger is derived when the trust consumer sees `interactions.ended`. Of the seeded contacts, two are
    # automated: #4 (customer C, resolved by the bot: a good experience) and #5 (customer D, handed to a human:
    # one poor experience). With the default policy (2 poor experiences within 30 days) nobody is averse.
    drain_events(app)
    body = get(client, centre, "/v1/analytics/overview")
    assert body["kpis"]["trust_index"] == 100.0 and "trust_index" not in body["unavailable"]

    # One poor experience now makes a customer automation-averse: D was averse as of contact #5 (its own entry
    # counts), C was not -> mean 50 over the two automated contacts; human-only contacts carry no trust figure.
    policy = {"max_poor": 1, "window_days": 30, "repeat_window_hours": 72, "negative_sentiment": -0.3}
    r = client.put("/v1/trust/policy", json={**policy, "half_life_days": 30}, headers=auth(centre["keys"]["admin"]))
    assert r.status_code == 200, r.text
    body = get(client, centre, "/v1/analytics/overview")
    assert body["kpis"]["trust_index"] == 50.0
    assert {r["channel"]: r["trust_index"] for r in body["by_channel"]} == {"chat": 50.0, "voice": None}
    assert {r["agent_kind"]: r["trust_index"] for r in body["by_agent_kind"]} == {"ai": 50.0, "human": None}
    by_intent = get(client, centre, "/v1/analytics/metrics", metrics="trust_index,volume", by="intent")
    assert {r["intent"]: r["trust_index"] for r in by_intent["rows"]} == {"delivery": 50.0, "billing": None}
    drill = get(client, centre, "/v1/analytics/drilldown")
    assert {r["region"]: r["trust_index"] for r in drill["rows"]} == {"(none)": 50.0, "EU": None, "US": None}

    # the contact-weighted figure agrees with the trust domain's own index (share of averse customers)
    report = client.get(
        "/v1/trust/index",
        params={
            "group_by": "region",
            "bucket": "week",
            "since": (NOW - timedelta(days=4)).isoformat(),
            "until": NOW.isoformat(),
        },
        headers=auth(centre["keys"]["analyst"]),
    )
    assert report.status_code == 200, report.text
    assert [(row["customers"], row["averse"]) for row in report.json()] == [(2, 1)]  # 100 x (1 - 1/2) = 50


def test_trust_index_only_for_the_selection_it_holds(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    drain_events(app)
    body = get(client, centre, "/v1/analytics/metrics", metrics="trust_index", channel="voice")
    assert body["rows"][0]["trust_index"] is None
    assert "trust ledger holds no automated contact" in body["unavailable"]["trust_index"]


def _knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "help"
    root.mkdir()
    (root / "parcel.md").write_text(
        "# Where is my parcel\n\nTrack a parcel that has not arrived: open Orders, choose the parcel and select "
        "Track delivery. A parcel that has not arrived within 5 business days can be reported as lost.\n"
    )
    (root / "password.md").write_text(
        "# Reset your password\n\nGo to Settings, choose Security and click Reset password. "
        "A reset link is emailed to you and expires after 24 hours.\n"
    )
    return root


def _propose(session: Any, org_id: uuid.UUID, interaction_id: str, actions: list[str], n: int) -> None:
    session.add(
        ActionProposal(
            org_id=org_id,
            idempotency_key=f"k{n}",
            request_digest="0" * 64,
            action=actions[0] if len(actions) == 1 else "+".join(actions),
            steps=[{"action": a, "params": {}} for a in actions],
            context={"interaction_id": interaction_id},
            actor_key_id=uuid.uuid4(),
            actor_role="service",
            actor_ref="bot",
            decision="allow",
            rules=[],
            pack_version="test",
            status="approved",
        )
    )


def test_opportunity_map_carries_knowledge_and_policy_coverage(  # type: ignore[no-untyped-def]
    client: TestClient, centre: dict, app, tmp_path: Path
) -> None:
    asks = {
        "parcel": ["Where is my parcel? It has not arrived", "My parcel has not arrived, can you track the delivery"],
        "crypto": ["Can I buy bitcoin with my card?", "Do you support crypto currency wallets"],
    }
    records = [
        contact(200 + i * 10 + j, NOW - timedelta(days=2, minutes=i * 10 + j), [("bot", "ai")], intent=intent,
                customer={"external_id": f"K{i}{j}"}, turns=[{"speaker": "customer", "offset_ms": 0, "text": text}])
        for i, (intent, texts) in enumerate(asks.items())
        for j, text in enumerate(texts)
    ]  # fmt: skip
    ingest(client, centre["keys"]["service"], records)
    admin = auth(centre["keys"]["admin"])
    r = client.post(
        "/v1/knowledge/sources",
        json={"name": "help", "kind": "markdown", "path": str(_knowledge(tmp_path)), "owner": "cx-ops"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    app.state.embedder = shared_embedder()
    assert client.post(f"/v1/knowledge/sources/{r.json()['id']}/sync", headers=admin).status_code == 200
    app.state.analytics_ports = analytics_ports(app.state.settings.data_dir, app.state.embedder)

    # Policy: the parcel contacts asked for one governed action (cancel_pending_order: the retail pack has rules
    # of its own for it) and one only the pack-wide guards cover (modify_user_address) -> 1 of 2 steps; the
    # billing contacts asked for a two-step proposal, both governed -> 2 of 2; crypto asked for nothing.
    items = client.get("/v1/interactions", params={"limit": 100}, headers=centre["reader"]).json()["items"]
    ids = {it["external_id"]: it["id"] for it in items}
    org_id = uuid.UUID(centre["keys"]["org_id"])
    with unit_of_work(app.state.session_factory) as session:
        _propose(session, org_id, ids["x200"], ["cancel_pending_order"], 1)
        _propose(session, org_id, ids["x201"], ["modify_user_address"], 2)
        _propose(session, org_id, ids["x1"], ["cancel_pending_order", "return_delivered_order_items"], 3)

    body = get(client, centre, "/v1/analytics/opportunities", repeat_days=1)
    by = {row["intent"]: row for row in body["rows"]}
    assert set(by) == {"billing", "delivery", "parcel", "crypto"} and body["unavailable"] == {}
    # Knowledge: the parcel questions are answered by the parcel article; nothing covers crypto or billing
    # ("my invoice is wrong" is every seeded billing and delivery contact's first turn).
    assert by["parcel"]["knowledge_coverage"] == 1.0 and by["crypto"]["knowledge_coverage"] == 0.0
    assert by["billing"]["knowledge_coverage"] == 0.0 and by["delivery"]["knowledge_coverage"] == 0.0
    assert by["parcel"]["policy_coverage"] == 0.5 and by["billing"]["policy_coverage"] == 1.0
    assert by["crypto"]["policy_coverage"] is None and by["crypto"]["missing"] == ["policy_coverage"]
    assert by["parcel"]["missing"] == [] and by["parcel"]["opportunity"] == 2 * 1.0 * 1.0 * 0.5
    # the page says what each coverage figure is: the bound sources state their sample and period
    assert "newest 20 customer questions" in body["coverage_basis"]["knowledge_coverage"]
    assert "last 90 days" in body["coverage_basis"]["policy_coverage"]
