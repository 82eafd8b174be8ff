"""Trust pages in real Chromium: a customer's routing advice with reasons, consented memory with "why", the index."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def _record(n: int, **kw):  # type: ignore[no-untyped-def]
    start = datetime.now(UTC) - timedelta(hours=10 * n + 1)
    rec = {
        "source": "e2e-trust",
        "external_id": f"tr-{n}",
        "channel": "chat",
        "queue": "care-chat",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=4)).isoformat(),
        "customer": {"external_id": "trust-cust"},
        "participants": [{"agent": "bot", "kind": "ai"}, {"agent": "h1", "role": "handoff"}],
        "outcome": "escalated",
        "intent": ["refund", "delivery"][n % 2],
        "turns": [{"speaker": "customer", "offset_ms": 0, "text": "the bot did not help"}],
    }
    rec.update(kw)
    return rec


@pytest.fixture(scope="module")
def customer(live_server):  # type: ignore[no-untyped-def]
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "trust-e2e")
    ids = [
        httpx.post(base + "/v1/interactions", json=_record(n), headers=auth(keys["service"])).json()["id"]
        for n in (1, 2)
    ]
    detail = httpx.get(f"{base}/v1/interactions/{ids[0]}", headers=auth(keys["admin"])).json()
    cid = detail["customer_id"]
    for _ in range(100):  # the embedded dispatcher derives the ledger after commit
        advice = httpx.get(f"{base}/v1/customers/{cid}/routing-advice", headers=auth(keys["service"])).json()
        if advice["route"] == "human_first":
            break
        time.sleep(0.1)
    # the human the contacts were handed to: an agent key linked to h1 records consent from one of them
    body = {"name": "agent h1", "role": "agent", "subject": "h1"}
    keys["h1"] = httpx.post(f"{base}/v1/keys", json=body, headers=auth(keys["admin"])).json()["api_key"]
    agent = auth(keys["h1"])
    grant = {"purpose": "personalisation", "granted": True, "source_interaction_id": ids[0]}
    assert httpx.post(f"{base}/v1/customers/{cid}/consents", json=grant, headers=agent).status_code == 200
    body = {
        "kind": "preference",
        "content": "prefers chat over phone",
        "purpose": "personalisation",
        "source_interaction_id": ids[0],
        "reason": "said so at the start of the chat",
    }
    assert httpx.post(f"{base}/v1/customers/{cid}/memory", json=body, headers=agent).status_code == 201
    return {"keys": keys, "cid": cid, "interactions": ids}


def test_customer_trust_view_shows_advice_reasons_and_memory(page, live_server, customer) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], customer["keys"]["supervisor"])
    page.goto(f"{live_server['base']}/#/trust-customer?customer_id={customer['cid']}")
    page.wait_for_selector("text=Human first")
    assert page.locator("text=handed it to a human").count() >= 2
    page.get_by_role("button", name="Why do we know this?").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=said so at the start of the chat")
    shot(page, "trust-customer")


def test_consent_history_shows_who_recorded_it_and_in_which_interaction(page, live_server, customer) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], customer["keys"]["h1"])
    page.goto(f"{live_server['base']}/#/trust-customer?customer_id={customer['cid']}")
    history = page.locator("section[aria-label=Consent] table").nth(1)
    row = history.locator("tr", has_text="agent h1")
    row.wait_for()
    first = customer["interactions"][0]
    assert row.locator("a").get_attribute("href") == f"#/interaction?id={first}"
    # an agent records consent from one of their contacts: the form asks for it
    form = page.locator("section[aria-label=Consent] form")
    form.get_by_label("Purpose").select_option("recommendations")
    form.get_by_role("button", name="Record").click()
    page.locator(
        "#" + form.get_by_label("In interaction (id)").get_attribute("aria-describedby"), has_text="required"
    ).wait_for()
    form.get_by_label("In interaction (id)").fill(customer["interactions"][1])
    form.get_by_role("button", name="Record").click()
    history = page.locator("section[aria-label=Consent] table").nth(1)
    history.locator("tr", has_text="recommendations").wait_for()
    assert (
        history.locator("tr", has_text="recommendations")
        .locator("a")
        .get_attribute("href")
        .endswith(customer["interactions"][1])
    )
    shot(page, "trust-consent-history")


def test_trust_index_page_draws_charts(page, live_server, customer) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], customer["keys"]["analyst"])
    page.goto(f"{live_server['base']}/#/trust-index")
    page.wait_for_selector("text=Recoveries")
    assert page.locator("svg.chart").count() >= 2
    assert page.locator("text=care-chat").count() >= 1
    shot(page, "trust-index")


def test_trust_index_with_one_bucket_draws_a_point_on_a_dated_axis(page, live_server, customer) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], customer["keys"]["analyst"])
    asked: list[str] = []

    def one_bucket(route):  # type: ignore[no-untyped-def]
        asked.append(route.request.url)
        row = {
            "bucket_start": "2026-09-21T00:00:00Z",
            "group": "care-chat",
            "customers": 7,
            "averse": 2,
            "averse_share": 0.2857,
            "recoveries": 1,
        }
        route.fulfill(json=[row])

    page.route("**/v1/trust/index?*", one_bucket)
    page.goto(f"{live_server['base']}/#/trust-index")
    page.wait_for_selector("text=Recoveries")
    # buckets are asked from a Monday's UTC midnight, so their boundaries (and labels) do not move between loads
    since = datetime.fromisoformat(parse_qs(urlparse(asked[0]).query)["since"][0])
    assert (since.weekday(), since.hour, since.minute, since.second) == (0, 0, 0, 0), since
    line = page.locator("figure.chart", has_text="automation-averse")
    assert line.locator("circle.point").count() == 1  # a one-point series is drawn as a dot
    labels = line.locator("text.x-tick").all_text_contents()
    assert labels == ["09-21"], labels  # one date label, not six copies of a time
    y = line.locator("svg text:not(.x-tick)").all_text_contents()
    assert all(re.fullmatch(r"\d+(\.\d)?", t) for t in y) and len(set(y)) == len(y), y  # round, distinct ticks
    assert page.locator("table td", has_text="2026-09-21").count() == 1
    assert page.locator("table td", has_text="28.6%").count() == 1


def test_why_do_we_know_this_says_when_it_fails(page, live_server, customer) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], customer["keys"]["supervisor"])
    page.route(
        "**/memory/*/why",
        lambda route: route.fulfill(
            status=404, json={"error": {"code": "not_found", "message": "memory item was erased"}}
        ),
    )
    page.goto(f"{live_server['base']}/#/trust-customer?customer_id={customer['cid']}")
    page.get_by_role("button", name="Why do we know this?").click()
    page.locator(".action-error[role=alert]", has_text="Why do we know this? failed: memory item was erased").wait_for()


def test_a_customer_is_found_by_the_external_id_other_pages_show(page, live_server, customer) -> None:  # type: ignore[no-untyped-def]
    """Approvals and interactions show a customer's external id; pasting it opens the customer (it was a UUID
    parse error), and an unknown one is named under the field."""
    sign_in(page, live_server["base"], customer["keys"]["supervisor"])
    page.goto(f"{live_server['base']}/#/trust-customer")
    page.get_by_label("Customer id or external id").fill("no-such-customer")
    page.get_by_role("button", name="Show").click()
    page.locator(".field-error", has_text="no customer with the id or external id 'no-such-customer'").wait_for()
    page.get_by_label("Customer id or external id").fill("trust-cust")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("text=Human first")
    assert customer["cid"] in page.url
