"""Actions pages in real Chromium: approve a queued action with a reason, verify the audit chain, kill switch."""

from __future__ import annotations

import httpx
import pytest

from cxops.domains.actions.sandbox.connector import load_db
from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in
from tests.factories import interaction

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def queued(live_server):  # type: ignore[no-untyped-def]
    """Ten executed address changes for one customer, then an eleventh that policy G1 sends to approval; proposed by
    an AI agent of the directory (a service key linked to it) for a customer the directory knows by name."""
    base, app = live_server["base"], live_server["app"]
    keys = make_org_keys(app.state.session_factory, "actions-e2e")
    user_id = next(iter(load_db("retail")["users"]))
    contact = interaction(1, source="shop", customer={"external_id": user_id, "display_name": "Ada Lovelace"})
    assert httpx.post(f"{base}/v1/interactions", json=contact, headers=auth(keys["service"])).status_code == 201
    bot = {"code": "ai-e2e", "name": "E2E Bot", "kind": "ai"}
    assert httpx.post(f"{base}/v1/agents", json=bot, headers=auth(keys["admin"])).status_code == 201
    linked = {"name": "bot", "role": "service", "subject": "ai-e2e"}
    proposer = httpx.post(f"{base}/v1/keys", json=linked, headers=auth(keys["admin"])).json()["api_key"]
    keys = {**keys, "user_id": user_id}
    status = None
    for i in range(11):
        params = {"user_id": user_id, "address1": f"{i} Main St", "city": "Austin", "state": "TX", "country": "USA"}
        params["zip"] = f"787{i:02d}"
        ctx = {"identity_verified": True, "identity_method": "email", "authenticated_user_id": user_id}
        ctx["confirmation"] = {"action": "modify_user_address", "params": params}
        body = {"action": "modify_user_address", "params": params, "context": ctx, "idempotency_key": f"e2e-{i}"}
        status = httpx.post(f"{base}/v1/actions/proposals", json=body, headers=auth(proposer)).json()["status"]
    assert status == "pending_approval"
    return keys


def test_supervisor_approves_from_the_queue(page, live_server, queued) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], queued["supervisor"])
    page.goto(f"{live_server['base']}/#/actions-approvals")
    page.wait_for_selector("text=G1-customer-velocity")
    # the customer and the proposer by name; the references they stand for stay as tooltips (for support)
    row = page.locator("table.data tbody tr").first
    customer = row.get_by_text("Ada Lovelace")
    assert customer.get_attribute("title") == queued["user_id"]
    assert row.get_by_text("E2E Bot").get_attribute("title") == "ai-e2e"
    assert "ai-e2e" not in row.inner_text()
    shot(page, "actions-approvals-names")
    page.get_by_role("button", name="Review").click()
    page.get_by_role("heading", name="Review modify_user_address for Ada Lovelace").wait_for()
    page.get_by_text("Proposed by E2E Bot (service)").wait_for()
    page.get_by_label("Reason (recorded in the audit log)").fill("customer is moving; confirmed by phone")
    page.get_by_role("button", name="Approve and execute").click()
    page.wait_for_selector("text=Nothing awaits approval.")
    shot(page, "actions-approvals")
    page.goto(f"{live_server['base']}/#/actions-audit")
    page.get_by_role("button", name="Verify the hash chain").click()
    page.wait_for_selector("text=chain intact")
    assert page.locator("text=approval").count() >= 1
    shot(page, "actions-audit")


def test_kill_switch_from_the_breakers_page(page, live_server, queued) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], queued["supervisor"])
    page.goto(f"{live_server['base']}/#/actions-breakers")
    page.wait_for_selector("text=Kill switch")
    page.get_by_label("Action name or agent reference").fill("cancel_pending_order")
    page.get_by_label("Reason").fill("incident 7: refunds double-posting")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector("text=open (blocked)")
    # "By" shows the key's name; the recorded reference (its id) stays available as the cell's tooltip.
    by = page.locator("table.data tbody tr").first.get_by_text("test-supervisor", exact=True)
    by.wait_for()
    assert by.get_attribute("title").startswith("key:")
    shot(page, "actions-breakers")
    # A typo blocks nothing, so it is refused, naming the unknown value.
    page.get_by_label("Scope").select_option("agent")
    page.get_by_label("Action name or agent reference").fill("no-such-agent-xyz")
    page.get_by_label("Reason").fill("typo")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("unknown agent 'no-such-agent-xyz'").first.wait_for()
    assert page.get_by_text("Breaker opened for agent no-such-agent-xyz").count() == 0


def test_an_agent_sees_only_their_own_proposals(page, live_server, queued) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    admin = auth(queued["admin"])
    assert httpx.post(f"{base}/v1/agents", json={"code": "agent-ann", "name": "Ann"}, headers=admin).status_code == 201
    key = httpx.post(f"{base}/v1/keys", json={"name": "ann", "role": "agent", "subject": "agent-ann"}, headers=admin)
    sign_in(page, base, key.json()["api_key"])
    assert page.get_by_role("link", name="Approvals").count() == 0
    assert page.get_by_role("link", name="Circuit breakers").count() == 0
    page.get_by_role("link", name="Proposals").click()
    page.get_by_text("The actions you proposed.").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator("table.data tbody tr").count() == 0  # the AI agent's proposals are not hers


def test_policies_page_lists_rules(page, live_server, queued) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], queued["analyst"])
    page.goto(f"{live_server['base']}/#/actions-policies")
    page.wait_for_selector("text=A4-basic-economy")
    assert page.locator("text=tau2-retail @ 2026.11.1 (retail)").count() == 1
    shot(page, "actions-policies")
