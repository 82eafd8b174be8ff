"""Workflow rules in real Chromium: a saved rule acts only on new facts; the console backfills it over the past,
once (a second backfill starts nothing)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import auth
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e

RULE = """\
name: E2E tag past voice calls
trigger: interaction_ended
conditions:
  - {field: channel, op: eq, value: voice}
steps:
  - tag: {tags: [e2e-backfilled]}
"""


def test_a_rule_is_backfilled_from_the_console_once(page, live_server) -> None:  # type: ignore[no-untyped-def]
    base, keys = live_server["base"], live_server["keys"]
    saved = httpx.post(f"{base}/v1/workflows/rules", json={"source": RULE}, headers=auth(keys["admin"]))
    assert saved.status_code == 201, saved.text
    rule = saved.json()
    assert rule["active_from"] > "2026-03-03"  # saved now: the fixture's calls of 2026-03-02 are in its past
    sign_in(page, base, keys["supervisor"])
    page.goto(f"{base}/#/workflows?edit={rule['id']}")
    page.get_by_label("Also act on past facts since").fill("2026-03-01")
    page.get_by_role("button", name="Backfill").click()
    card = page.get_by_test_id("backfill")
    card.get_by_text("run(s) started").wait_for()
    started = int(card.inner_text().split("Backfill: ")[1].split(" ")[0])
    assert started >= 10  # the fixture's voice calls (every third of 30)
    shot(page, "workflows-backfill")
    page.get_by_role("button", name="Backfill").click()
    page.get_by_text("Backfill: 0 run(s) started").wait_for()
    assert f"{started} already had a run" in page.get_by_test_id("backfill").inner_text()
