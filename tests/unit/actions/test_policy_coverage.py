"""Policy coverage: which actions the packs govern with rules of their own, and the share per intent."""

from __future__ import annotations

from cxops.domains.actions.policy.coverage import governed_actions, step_coverage
from cxops.domains.actions.policy.pack import load_pack
from cxops.domains.actions.policy.registry import default_catalogue, default_packs

GUARDS_ONLY = """
pack: guards
version: "1"
system: retail
rules:
  - id: G1
    when: not context.confirmed
    effect: deny
    reason: confirm first
  - id: G2
    actions: [cancel_pending_order, modify_user_address]
    when: not context.identity_verified
    effect: deny
    reason: verify first
"""


def test_shipped_packs_govern_every_action_but_the_address_change() -> None:
    cat = default_catalogue()
    governed = governed_actions(cat, default_packs())
    assert "cancel_pending_order" in governed and "book_reservation" in governed
    # modify_user_address has only the retail pack's pack-wide guards (confirmation, authentication, ...)
    assert set(cat.actions) - governed == {"modify_user_address"}


def test_pack_wide_rules_and_missing_packs_do_not_govern() -> None:
    cat = default_catalogue()
    retail = load_pack(GUARDS_ONLY, cat)
    governed = governed_actions(cat, {"retail": retail})
    # G1 is pack-wide; G2 names two actions, so it is a rule of their own; airline has no pack at all
    assert governed == {"cancel_pending_order", "modify_user_address"}


def test_step_coverage_is_the_governed_share_of_proposed_steps() -> None:
    governed = frozenset({"a", "b"})
    got = step_coverage({"refund": ["a", "a", "c", "b"], "address": ["c"], "faq": []}, governed)
    assert got == {"refund": 0.75, "address": 0.0}  # an intent with no proposed step is absent, not zero
