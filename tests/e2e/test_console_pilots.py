"""Pilot planning in real Chromium: the plan reads the scope's history, says why it cannot measure a baseline, and
the pilot report shows the plan it was created with."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def test_plan_a_pilot_from_the_scopes_history(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/pilots")
    page.get_by_label("Name").fill("E2E billing pilot")
    page.get_by_label("Intents in scope").fill("billing_dispute")
    page.get_by_label("Starts (ISO date)").fill("2026-03-10")
    # Every call of the fixture was resolved: a measured baseline of 100% leaves no room for an effect, and the
    # plan says which field to give instead.
    page.get_by_role("button", name="Plan and create").click()
    page.get_by_text("baseline_rate").first.wait_for()
    page.get_by_label("Baseline verified resolution").fill("0.6")
    page.get_by_role("button", name="Plan and create").click()
    # (the first plan of a session computes the group-sequential boundaries cold: over 10 s on a loaded machine)
    page.get_by_role("heading", name="E2E billing pilot").wait_for(timeout=60_000)
    plan = page.get_by_test_id("plan").inner_text()
    assert "baseline 60.0% (given)" in plan and "design effect 1.00" in plan, plan
    assert "Planned from" in plan and "too little history" in plan, plan  # independent contacts, and why
    shot(page, "pilots-plan")


def test_pilot_form_takes_any_fraction_and_start_says_why_it_failed(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/pilots")
    page.get_by_label("Name").fill("E2E fractions pilot")
    page.get_by_label("Baseline verified resolution").fill("0.615")
    page.get_by_label("Smallest effect worth finding").fill("0.045")
    page.get_by_label("Holdout share").fill("0.33")  # the old step of 0.05 refused this
    with page.expect_request("**/v1/pilots/plan") as sent:
        page.get_by_role("button", name="Plan and create").click()
    body = sent.value.post_data_json
    assert (body["baseline_rate"], body["mde"], body["holdout_share"]) == (0.615, 0.045, 0.33)
    page.get_by_role("heading", name="E2E fractions pilot").wait_for(timeout=60_000)
    page.route(
        "**/v1/pilots/*/start",
        lambda route: route.fulfill(
            status=409, json={"error": {"code": "conflict", "message": "another pilot already runs on this scope"}}
        ),
    )
    page.get_by_role("button", name="Start pilot").click()
    alert = page.locator(".action-error[role=alert]")
    alert.wait_for()
    assert alert.inner_text() == "Start pilot failed: another pilot already runs on this scope"
    assert "null" not in page.locator("main").inner_text()  # no hypothesis: nothing shown, not "null"


def test_pilot_form_errors_sit_on_the_field_at_fault(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/pilots")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if "/v1/pilots" in r.url and r.method == "POST" else None)
    errors = page.get_by_test_id("form-errors")

    def field_error(name: str) -> str:
        page.locator(f"[name={name}][aria-invalid=true]").wait_for()
        return page.locator(
            f"[name={name}] >> xpath=../following-sibling::span[contains(@class,'field-error')]"
        ).inner_text()

    # the server's bounds, checked before sending: baseline strictly inside (0, 1), an effect that is not 0,
    # a start at most 90 days ahead
    page.get_by_label("Name").fill("E2E bounds pilot")
    page.get_by_label("Baseline verified resolution").fill("1")
    page.get_by_label("Smallest effect worth finding").fill("0")
    page.get_by_label("Starts (ISO date)").fill("2031-01-01")
    page.get_by_role("button", name="Plan and create").click()
    assert field_error("baseline_rate") == "must be less than 1"
    assert field_error("mde").startswith("mde must not be zero")
    assert "days ahead" in field_error("starts_at") and "check the year" in field_error("starts_at")
    assert posted == []
    # an unknown intent: the server names scope.intents, shown on the intents field (not on the baseline)
    page.get_by_label("Baseline verified resolution").fill("")
    page.get_by_label("Smallest effect worth finding").fill("0.05")
    page.get_by_label("Starts (ISO date)").fill("2026-03-10")
    page.get_by_label("Intents in scope").fill("not_an_intent")
    with page.expect_response("**/v1/pilots/plan") as answered:
        page.get_by_role("button", name="Plan and create").click()
    assert answered.value.status == 422 and answered.value.json()["error"]["field"] == "scope.intents"
    assert "no contact of the organisation has intent 'not_an_intent'" in field_error("intents")
    assert page.locator("[name=baseline_rate]").get_attribute("aria-invalid") is None
    # a start with no history before it: the server names starts_at, shown on the start field
    page.route(
        "**/v1/pilots",
        lambda route: route.fulfill(
            status=422,
            json={"error": {"code": "validation_failed", "field": "starts_at",
                            "message": "the scope has no contacts in the 28 days before the start 2020-01-01"}},
        ),
    )  # fmt: skip
    page.get_by_label("Intents in scope").fill("")
    page.get_by_label("Baseline verified resolution").fill("0.6")
    page.get_by_label("Starts (ISO date)").fill("2020-01-01")
    page.get_by_role("button", name="Plan and create").click()
    assert "28 days before the start 2020-01-01" in field_error("starts_at")
    assert "Starts (ISO date):" in errors.inner_text()
