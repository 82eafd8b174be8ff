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
