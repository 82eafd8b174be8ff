"""API keys page in real Chromium: revoking asks for confirmation, the admin's own key cannot be revoked, and an agent
key is linked to an agent of the directory (an unknown code is refused with the reason)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import auth, make_org_keys
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def org(live_server):  # type: ignore[no-untyped-def]
    keys = make_org_keys(live_server["app"].state.session_factory, f"keys-e2e-{uuid.uuid4().hex[:8]}")
    body = {"code": "agent-0012", "name": "Sam Doe"}
    assert httpx.post(f"{live_server['base']}/v1/agents", json=body, headers=auth(keys["admin"])).status_code == 201
    return keys


def _row(page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("table.data tbody tr", has=page.get_by_role("cell", name=name, exact=True))


def test_revoke_asks_first_and_never_offers_the_callers_own_key(page, live_server, org) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, org["admin"])
    page.goto(f"{base}/#/keys")
    _row(page, "test-admin").get_by_text("in use by you").wait_for()
    assert _row(page, "test-admin").get_by_role("button", name="Revoke").count() == 0
    shot(page, "keys-own-key")

    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _row(page, "test-analyst").get_by_role("button", name="Revoke").click()
    assert dialogs and "test-analyst" in dialogs[0]
    assert httpx.get(f"{base}/v1/me", headers=auth(org["analyst"])).status_code == 200  # dismissed: still active

    page.once("dialog", lambda d: d.accept())
    _row(page, "test-analyst").get_by_role("button", name="Revoke").click()
    page.get_by_text("Key revoked").wait_for()
    _row(page, "test-analyst").get_by_text("revoked").wait_for()
    assert httpx.get(f"{base}/v1/me", headers=auth(org["analyst"])).status_code == 401


def test_an_agent_key_is_linked_to_an_agent_of_the_directory(page, live_server, org) -> None:  # type: ignore[no-untyped-def]
    base = live_server["base"]
    sign_in(page, base, org["admin"])
    page.goto(f"{base}/#/keys")
    page.get_by_label("Name", exact=True).fill("Sam's desk")
    page.get_by_label("Role").select_option("agent")
    page.get_by_label("Agent code").fill("agent-9999")
    page.get_by_role("button", name="Create key").click()
    page.get_by_text("'agent-9999' names no agent").first.wait_for()
    page.get_by_label("Agent code").fill("agent-0012")
    page.get_by_role("button", name="Create key").click()
    page.get_by_text("New key (shown once)").wait_for()
    _row(page, "Sam's desk").get_by_role("cell", name="agent-0012").wait_for()
    shot(page, "keys-linked-agent")
