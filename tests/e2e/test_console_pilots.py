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
    page.get_by_role("heading", name="E2E billing pilot").wait_for()
    plan = page.get_by_test_id("plan").inner_text()
    assert "baseline 60.0% (given)" in plan and "design effect 1.00" in plan, plan
    assert "Planned from" in plan and "too little history" in plan, plan  # independent contacts, and why
    shot(page, "pilots-plan")
