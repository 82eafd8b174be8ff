"""Policy packs: load-time rejection with the line, the shipped packs' own tests, the expression sandbox."""

from __future__ import annotations

import pytest

from cxops.domains.actions.compute.catalogue import validate_params
from cxops.domains.actions.policy.engine import build_context, evaluate_action
from cxops.domains.actions.policy.expr import ExpressionError, compile_condition
from cxops.domains.actions.policy.pack import PolicyPackError, load_pack, load_pack_file
from cxops.domains.actions.policy.registry import default_catalogue, default_packs, pack_files
from cxops.domains.actions.policy.testing import run_pack_tests

GOOD = """pack: demo
version: "1"
system: retail
rules:
  - id: R1
    actions: [cancel_pending_order]
    when: entity.order_status != 'pending'
    effect: deny
    reason: only pending orders
"""


@pytest.mark.parametrize("path", pack_files(), ids=lambda p: p.name)
def test_shipped_pack_tests_pass(path):
    pack = load_pack_file(path, default_catalogue())
    results = run_pack_tests(pack, default_catalogue())
    assert results, "every shipped pack ships tests"
    assert [r for r in results if not r.passed] == []


def test_good_pack_loads_and_decides():
    pack = load_pack(GOOD, default_catalogue())
    spec = default_catalogue().get("cancel_pending_order")
    params = validate_params(spec, {"order_id": "#W1", "reason": "no longer needed"})
    ctx = build_context({}, spec.name, params)
    deny = evaluate_action(pack, spec, params=params, entity={"order_status": "delivered"}, context=ctx)
    allow = evaluate_action(pack, spec, params=params, entity={"order_status": "pending"}, context=ctx)
    assert (deny.outcome, deny.rule_ids, deny.reasons) == ("deny", ["R1"], ["only pending orders"])
    assert allow.outcome == "allow"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("entity.order_status", "entity.colour"), 7, "unknown field 'entity.colour'"),
        (GOOD.replace("effect: deny", "effect: maybe"), 8, "effect must be one of"),
        (GOOD.replace("[cancel_pending_order]", "[launch_rocket]"), 6, "unknown action 'launch_rocket'"),
        (GOOD.replace("    reason: only", "  reason: [only"), 9, "YAML does not parse"),
        (GOOD.replace("entity.order_status != 'pending'", "entity.order_status !="), 7, "does not parse"),
        (GOOD.replace("entity.order_status != 'pending'", "__import__('os')"), 7, "only calls of"),
        (GOOD + "  - id: R1\n    when: 'True'\n    effect: deny\n    reason: again\n", 10, "duplicate rule id"),
        (GOOD.replace("system: retail", "system: rockets"), 3, "unknown system"),
    ],
)
def test_bad_pack_rejected_with_line(text, line, words):
    with pytest.raises(PolicyPackError) as info:
        load_pack(text, default_catalogue(), source="demo.yaml")
    assert info.value.line == line
    assert words in info.value.message
    assert f"demo.yaml, line {line}" in info.value.message


@pytest.mark.parametrize(
    "source",
    ["().__class__", "entity.__class__", "params['x']", "[x for x in params]", "lambda: 1", "open('f')"],
)
def test_expression_whitelist(source):
    fields = {"params": frozenset({"x"}), "entity": frozenset({"y"})}
    with pytest.raises(ExpressionError):
        compile_condition(source, fields)


def test_rule_that_cannot_evaluate_fails_closed():
    text = GOOD.replace("entity.order_status != 'pending'", "entity.amount > 10")
    pack = load_pack(text, default_catalogue())
    spec = default_catalogue().get("cancel_pending_order")
    params = validate_params(spec, {"order_id": "#W1", "reason": "x"})
    decision = evaluate_action(
        pack, spec, params=params, entity={"amount": None}, context=build_context({}, spec.name, params)
    )
    assert decision.outcome == "deny"
    assert "could not evaluate" in decision.reasons[0]


def test_confirmation_must_match_exact_parameters():
    params = {"order_id": "#W1", "reason": "no longer needed"}
    same = build_context(
        {"confirmation": {"action": "cancel_pending_order", "params": dict(params)}}, "cancel_pending_order", params
    )
    other = build_context(
        {"confirmation": {"action": "cancel_pending_order", "params": {**params, "order_id": "#W2"}}},
        "cancel_pending_order",
        params,
    )
    assert same["confirmed"] is True
    assert other["confirmed"] is False


def test_every_rule_has_reason_and_known_effect():
    for pack in default_packs().values():
        for rule in pack.rules:
            assert rule.reason and rule.effect in ("deny", "require_approval")
