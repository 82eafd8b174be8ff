"""Planning a pilot from its scope's pre-period: measured baseline, design effect, notes, refusals, isolation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from cxops.domains.pilots.compute.stats import estimate_clustering
from tests.conftest import auth, make_org_keys
from tests.factories import interaction

#: the organisation's latest contact: the plan's history window is the 28 days before it
H = datetime(2026, 6, 1, tzinfo=UTC)
_ids = itertools.count(1)


def _contact(customer: str, at: datetime, intent: str = "refund", outcome: str = "resolved") -> dict[str, Any]:
    return interaction(
        next(_ids),
        intent=intent,
        outcome=outcome,
        customer={"external_id": customer},
        started_at=at.isoformat(),
        ended_at=(at + timedelta(minutes=6)).isoformat(),
    )


def _ingest(client: TestClient, keys: dict, records: list[dict[str, Any]], horizon: datetime = H) -> None:
    records = [*records, _contact("someone", horizon, intent="other")]
    r = client.post(
        "/v1/interactions/bulk",
        content=b"\n".join(orjson.dumps(x) for x in records),
        headers={**auth(keys["service"]), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.json()["failed"] == 0, r.text


def _plan(client: TestClient, keys: dict, **body: Any) -> Any:
    return client.post("/v1/pilots/plan", json={"mde": 0.1, **body}, headers=auth(keys["analyst"]))


def _correlated_history() -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """50 customers with 6 in-scope contacts each, none a repeat of another; a customer's outcomes go together:
    20 customers resolve 5 of their 6 contacts, 30 resolve 1 of 6 (verified resolution 130 / 300)."""
    records, values, customers = [], [], []
    for c in range(50):
        for k, (days, intent) in enumerate(itertools.product((27, 18, 9), ("refund", "order_status"))):
            resolved = k < 5 if c < 20 else k < 1
            at = H - timedelta(days=days) + timedelta(hours=1 if intent == "order_status" else 0)
            records.append(_contact(f"cust-{c}", at, intent, "resolved" if resolved else "escalated"))
            values.append(float(resolved))
            customers.append(c)
    return records, np.array(values), np.array(customers)


def test_the_baseline_is_measured_on_the_scope_history_of_the_callers_organisation(
    client: TestClient, org_keys: dict, app: Any
) -> None:
    d = lambda n: H - timedelta(days=n)  # noqa: E731
    _ingest(
        client,
        org_keys,
        [
            _contact("r1", d(20)),  # verified
            _contact("r2", d(20)),  # repeated 3 days later: not verified
            _contact("r2", d(17)),  # the repeat itself: verified
            _contact("r3", d(15), outcome="escalated"),  # not resolved
            _contact("r4", d(3)),  # repeat window still open at the horizon: left out
            _contact("r5", d(40)),  # before the window
            _contact("r6", d(12)),  # verified: the next contact is on another intent
            _contact("r6", d(11), intent="other"),
            _contact("r8", d(20), intent="billing_dispute"),  # out of scope
            _contact("r9", d(9), outcome="abandoned"),  # not resolved
            _contact("r10", d(29)),  # before the window ...
            _contact("r10", d(24)),  # ... its repeat, in the window and verified
        ],
    )
    # Another organisation's in-scope contacts (same customer references, all failures, later data) never count.
    other = make_org_keys(app.state.session_factory, "globex")
    _ingest(
        client,
        other,
        [_contact(f"r{i}", H - timedelta(days=14 + i), outcome="escalated") for i in range(1, 11)],
        horizon=H + timedelta(days=1),
    )
    r = _plan(client, org_keys, scope={"intents": ["refund"]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["baseline_measured"] == 4 / 7 and out["baseline_rate"] == 4 / 7 and out["baseline_source"] == "measured"
    assert (out["history_contacts"], out["history_customers"]) == (7, 6)
    assert out["history_from"].startswith("2026-05-04") and out["history_until"].startswith("2026-06-01")
    # Too little history for a design effect: independent contacts, and the notes say why.
    assert out["design_effect"] == 1.0 and out["icc"] is None
    assert any(n.startswith("too little history") for n in out["notes"])
    assert any("1 contacts of the 28 days to 2026-06-01 are left out" in n for n in out["notes"])
    given = _plan(client, org_keys, baseline_rate=0.5, scope={"intents": ["refund"]}).json()
    independent = _plan(client, org_keys, baseline_rate=0.5).json()
    assert given["planned_n_per_arm"] == independent["planned_n_per_arm"]
    assert given["baseline_source"] == "given" and given["baseline_measured"] == 4 / 7
    # The other organisation sees only its own history.
    theirs = _plan(client, other, baseline_rate=0.5, scope={"intents": ["refund"]}).json()
    assert theirs["history_contacts"] == 10 and theirs["baseline_measured"] == 0.0


def test_correlated_customers_inflate_the_plan_by_the_design_effect(
    client: TestClient, org_keys: dict, app: Any
) -> None:
    records, values, customers = _correlated_history()
    _ingest(client, org_keys, records)
    scope = {"intents": ["refund", "order_status"]}
    measured = _plan(client, org_keys, scope=scope).json()
    assert measured["baseline_source"] == "measured" and measured["baseline_measured"] == 130 / 300
    assert (measured["history_contacts"], measured["history_customers"]) == (300, 50)
    expected = estimate_clustering(values, customers)
    assert measured["design_effect"] == pytest.approx(expected.design_effect, abs=1e-4) and expected.design_effect > 2
    assert measured["icc"] == pytest.approx(expected.icc, abs=1e-4)
    assert measured["contacts_per_customer"] == measured["contacts_per_customer_weighted"] == 6.0
    assert measured["notes"] == []
    # An explicit baseline wins; the measured one is reported beside it; the size grows by the design effect.
    given = _plan(client, org_keys, baseline_rate=0.6, scope=scope).json()
    independent = _plan(client, org_keys, baseline_rate=0.6).json()
    assert given["baseline_rate"] == 0.6 and given["baseline_source"] == "given"
    assert given["baseline_measured"] == 130 / 300 and given["design_effect"] == measured["design_effect"]
    assert independent["design_effect"] == 1.0 and independent["notes"]
    assert given["fixed_n_per_arm"] == independent["fixed_n_per_arm"]
    # Both sizes are rounded up, so the clustered one is the independent one times the design effect, to rounding.
    inflated = independent["planned_n_per_arm"] * given["design_effect"]
    assert abs(given["planned_n_per_arm"] - inflated) <= given["design_effect"] + 1
    assert given["planned_n_per_arm"] > 2 * independent["planned_n_per_arm"]
    assert given["power_at_planned_n"] >= 0.85

    # A pilot created on that scope, starting at the end of the history, is planned the same way ...
    h = auth(org_keys["supervisor"])
    body = {
        "name": "AI agent on refunds and order status",
        "treatment": "ai_agent",
        "baseline_rate": 0.6,
        "mde": 0.1,
        "scope": scope,
        "starts_at": H.isoformat(),
    }
    pilot = client.post("/v1/pilots", json=body, headers=h).json()
    assert pilot["planned_n_per_arm"] == given["planned_n_per_arm"]
    assert pilot["plan"]["design_effect"] == given["design_effect"] and pilot["plan"]["icc"] == given["icc"]
    measured_pilot = client.post("/v1/pilots", json={**body, "baseline_rate": None, "name": "measured"}, headers=h)
    assert measured_pilot.status_code == 201 and measured_pilot.json()["baseline_rate"] == 130 / 300
    # ... and its looks compare the design effect they observe with the plan's pre-period estimate.
    client.post(f"/v1/pilots/{pilot['id']}/start", headers=h)
    _ingest(
        client,
        org_keys,
        [_contact(f"cust-{c}", H + timedelta(days=1, hours=c)) for c in range(50)],
        horizon=H + timedelta(days=30),
    )
    look = client.post(f"/v1/pilots/{pilot['id']}/looks", headers=h)
    assert look.status_code == 201, look.text
    clustering = look.json()["report"]["design_effect"]
    assert clustering["estimated_in_plan"] and clustering["assumed_in_plan"] == given["design_effect"]
    assert f"the plan's pre-period estimate was {given['design_effect']:.2f}, which held" in clustering["reason"]


def test_plans_that_cannot_measure_a_baseline_or_read_a_bad_window_are_422s(client: TestClient, org_keys: dict) -> None:
    _ingest(client, org_keys, [_contact("r1", H - timedelta(days=20))])
    r = _plan(client, org_keys)
    assert r.status_code == 422 and r.json()["error"]["field"] == "baseline_rate", r.text
    assert "baseline_rate" in r.json()["error"]["message"]
    # An intent no contact has is named as the problem (not the baseline), with the intents there are.
    r = _plan(client, org_keys, scope={"intents": ["no_such_intent"]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "scope.intents", r.text
    message = r.json()["error"]["message"]
    assert "no contact of the organisation has intent 'no_such_intent'" in message and "refund" in message
    # With a baseline it plans (no history needed) and says the intent is unknown.
    empty = _plan(client, org_keys, baseline_rate=0.5, scope={"intents": ["no_such_intent"]}).json()
    assert empty["design_effect"] == 1.0 and empty["history_contacts"] == 0 and empty["baseline_measured"] is None
    assert any("no contacts" in n for n in empty["notes"])
    assert any(n.startswith("scope.intents: 'no_such_intent' occurs in none") for n in empty["notes"]), empty
    r = _plan(client, org_keys, scope={"queues": ["no-such-queue"]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "scope.queues", r.text
    # A known intent whose contacts lie outside the window: the period is at fault.
    r = _plan(client, org_keys, scope={"intents": ["refund"]}, history_days=7)
    assert r.status_code == 422 and r.json()["error"]["field"] == "history_days", r.text
    assert "contacts run from 2026-05-12 to 2026-05-12" in r.json()["error"]["message"]
    for days in (6, 181, "many"):
        r = _plan(client, org_keys, baseline_rate=0.5, scope={}, history_days=days)
        assert r.status_code == 422 and r.json()["error"]["field"] == "history_days", r.text
    pilot = {"name": "p", "treatment": "assist", "mde": 0.1, "starts_at": H.isoformat()}
    h = auth(org_keys["supervisor"])
    r = client.post("/v1/pilots", json={**pilot, "scope": {"intents": ["no_such_intent"]}}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "scope.intents", r.text
    # A start before the scope's contacts: no pre-period to measure the baseline on, and the start is named.
    early = {**pilot, "scope": {"intents": ["refund"]}, "starts_at": "2020-01-01T00:00:00Z"}
    r = client.post("/v1/pilots", json=early, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "starts_at", r.text
    assert "28 days before the start 2020-01-01" in r.json()["error"]["message"]
    assert client.post("/v1/pilots", json={**early, "baseline_rate": 0.5}, headers=h).status_code == 201


def test_a_start_years_ahead_is_refused_and_the_effect_is_named(client: TestClient, org_keys: dict) -> None:
    h = auth(org_keys["supervisor"])
    base = {"name": "p", "treatment": "assist", "mde": 0.1, "baseline_rate": 0.5}
    soon = (datetime.now(UTC) + timedelta(days=80)).isoformat()
    assert client.post("/v1/pilots", json={**base, "starts_at": soon}, headers=h).status_code == 201
    r = client.post("/v1/pilots", json={**base, "starts_at": "2031-01-01T00:00:00Z"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "starts_at", r.text
    assert "days ahead" in r.json()["error"]["message"] and "at most 90 days" in r.json()["error"]["message"]
    for over, needle in (({"mde": 0}, "mde must not be zero"), ({"mde": 0.6}, "0.5 + mde 0.6 = 1.1")):
        r = _plan(client, org_keys, **{"baseline_rate": 0.5, **over})
        assert r.status_code == 422 and r.json()["error"]["field"] == "mde" and needle in r.text, r.text
