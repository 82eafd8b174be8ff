"""Runs the tests a policy pack ships with (`tests:` section); used by the CLI and the test suite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cxops.core.errors import CxopsError
from cxops.domains.actions.compute.catalogue import Catalogue, validate_params
from cxops.domains.actions.policy.engine import build_context, evaluate_action, time_facts
from cxops.domains.actions.policy.pack import PolicyPack

DEFAULT_TEST_TIME = "2024-05-15T19:00:00+00:00"


@dataclass(frozen=True, slots=True)
class TestResult:
    """One pack test: passed or why not."""

    name: str
    line: int | None
    passed: bool
    detail: str


def _context(test: dict[str, Any], action: str, params: dict[str, Any]) -> dict[str, Any]:
    raw = dict(test.get("context") or {})
    if raw.pop("confirmed", False):
        raw["confirmation"] = {"action": action, "params": params}
    return build_context(raw, action, params)


def run_test(pack: PolicyPack, catalogue: Catalogue, test: dict[str, Any]) -> TestResult:
    """Evaluate one test case and compare outcome (and, if listed, the fired rule ids)."""
    name = str(test.get("name", "?"))
    spec = catalogue.get(str(test["action"]))
    try:
        params = validate_params(spec, test.get("params") or {})
    except CxopsError as exc:
        return TestResult(name, test.get("line"), False, f"params invalid: {exc.message}")
    entity = dict.fromkeys(spec.state_fields)
    entity.update(test.get("entity") or {})
    when = datetime.fromisoformat(str(test.get("time", DEFAULT_TEST_TIME)))
    decision = evaluate_action(
        pack,
        spec,
        params=params,
        entity=entity,
        context=_context(test, spec.name, params),
        trust=test.get("trust"),
        velocity=test.get("velocity"),
        time=time_facts(when, pack.business_hours),
    )
    problems = []
    if decision.outcome != test["expect"]:
        problems.append(f"expected {test['expect']}, got {decision.outcome} ({', '.join(decision.rule_ids) or '-'})")
    missing = [r for r in test.get("rules") or [] if r not in decision.rule_ids]
    if missing:
        problems.append(f"rules expected to fire did not: {', '.join(missing)}")
    return TestResult(name, test.get("line"), not problems, "; ".join(problems) or "ok")


def run_pack_tests(pack: PolicyPack, catalogue: Catalogue) -> list[TestResult]:
    """Every test of the pack."""
    return [run_test(pack, catalogue, t) for t in pack.tests]
