"""Rule parsing, validation with line numbers, conditions, templates and loop detection."""

from __future__ import annotations

import pytest

from cxops.domains.workflows.compute.rules import RuleError, find_cycle, gated, holds, matches, parse_rule, render

GOOD = """\
name: Low QA review
trigger: qa_scored_below_threshold
conditions:
  - {field: score, op: lt, value: 60}
  - {field: agent.kind, op: eq, value: ai}
steps:
  - create_task: {team: quality, title: "Review {interaction_id} (score {score})"}
  - notify: {message: "Low score", level: warning}
"""


def test_parse_and_match() -> None:
    rule = parse_rule(GOOD)
    assert rule.event_type == "qa.evaluations_scored" and [s.kind for s in rule.steps] == ["create_task", "notify"]
    ok, notes = matches(rule, {"score": 42, "agent": {"kind": "ai"}, "interaction_id": "i-1"})
    assert ok and len(notes) == 2
    assert not matches(rule, {"score": 75, "agent": {"kind": "ai"}})[0]
    assert not matches(rule, {"agent": {"kind": "ai"}})[0]  # a missing field never matches lt
    assert render(rule.steps[0].params, {"interaction_id": "i-1", "score": 42})["title"] == "Review i-1 (score 42)"


EVERY_OP = """\
name: Every operator
trigger: interaction_ended
conditions:
  - {field: score, op: lt, value: 60}
  - {field: agent.kind, op: in, value: [ai, bot]}
  - {field: tags, op: contains, value: vip}
  - {field: channel, op: ne, value: email}
steps:
  - notify: {message: "x"}
"""


@pytest.mark.parametrize(
    "context",
    [
        {"score": 42, "agent": {"kind": "ai"}, "tags": ["vip"], "channel": "voice"},  # every condition holds
        {"score": 75, "agent": {"kind": "ai"}, "tags": ["vip"], "channel": "voice"},  # the first fails
        {"score": 42, "agent": {"kind": "ai"}, "tags": ["vip"], "channel": "email"},  # the last fails
        {"agent": {"kind": "ai"}, "tags": ["vip"]},  # missing fields
        {"score": "low", "agent": {"kind": "ai"}, "tags": ["vip"], "channel": "voice"},  # text < number: TypeError
        {"score": 42, "agent": {"kind": ["ai"]}, "tags": 3, "channel": "voice"},  # unhashable in, int contains
        {"score": 42, "agent": "ai", "tags": "a vip call", "channel": "chat"},  # a path through text, substring
        {},
    ],
)
def test_holds_is_the_verdict_of_matches(context: dict) -> None:
    """Scans use `holds` (no explanation, stops at the first failing condition); it must decide as `matches`."""
    rule = parse_rule(EVERY_OP)
    assert holds(rule, context) == matches(rule, context)[0]


def test_a_rule_without_conditions_holds_for_anything() -> None:
    rule = parse_rule("name: all\ntrigger: interaction_ended\nsteps:\n  - notify: {message: x}\n")
    assert holds(rule, {}) and matches(rule, {}) == (True, [])


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (GOOD.replace("qa_scored_below_threshold", "moon_phase"), 2, "unknown trigger"),
        (GOOD.replace("create_task", "launch_rocket"), 7, "unknown step"),
        (GOOD.replace("op: lt", "op: approx"), 4, "unknown operator"),
        (GOOD.replace("{team: quality, ", "{"), 7, "needs ['team']"),
        (GOOD.replace("level: warning", "level: warning, colour: red"), 8, "unknown parameters"),
        (GOOD + "priority: high\n", 9, "unknown key"),
        ("name: x\ntrigger: interaction_ended\nsteps: [\n", 4, "not valid YAML"),
        ("name: x\ntrigger: interaction_ended\nsteps:\n  - webhook: {url: ftp://x}\n", 4, "http"),
    ],
)
def test_bad_rules_name_the_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(RuleError) as exc:
        parse_rule(text)
    assert exc.value.line == line and needle in str(exc.value)


BREAKER = "name: b\ntrigger: breaker_tripped\nsteps:\n  - request_approval: {title: ok}\n  - close_breaker: %s\n"


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ("{key: bot-9}", "step 'close_breaker' needs the breaker's scope: scope 'action' or 'agent'"),
        ("{scope: agent}", "step 'close_breaker' needs the breaker's key"),
        ("{}", "needs the breaker's scope and key"),
        ('{scope: "", key: "{key}"}', "needs the breaker's scope"),
        ("{scope: team, key: x}", "has scope 'team'; expected 'action', 'agent' or a placeholder"),
        ("{scope: agent, key: x, why: y}", "unknown parameters ['why']"),
    ],
)
def test_close_breaker_names_its_breaker(params: str, needle: str) -> None:
    with pytest.raises(RuleError) as exc:
        parse_rule(BREAKER % params)
    assert exc.value.line == 5 and needle in str(exc.value)


def test_steps_after_an_approval_are_gated() -> None:
    rule = parse_rule(BREAKER % '{scope: "{scope}", key: "{key}", reason: approved}')
    assert [s.kind for s in rule.steps] == ["request_approval", "close_breaker"]
    assert gated(rule) == [False, True]
    assert render(rule.steps[1].params, {"scope": "agent", "key": "ai-kai"})["key"] == "ai-kai"
    assert rule.emits() == {"workflows.approval_requested"}  # closing a breaker publishes nothing a rule reacts to
    assert gated(parse_rule(GOOD)) == [False, False]


def test_missing_keys_and_empty() -> None:
    with pytest.raises(RuleError, match="empty"):
        parse_rule("   ")
    with pytest.raises(RuleError, match="'steps'"):
        parse_rule("name: x\ntrigger: interaction_ended\n")


def test_cycle_detection_between_rules() -> None:
    a = parse_rule("name: a\ntrigger: task_created\nsteps:\n  - notify: {message: m}\n")
    b = parse_rule("name: b\ntrigger: notification_created\nsteps:\n  - create_task: {team: t, title: x}\n")
    c = parse_rule("name: c\ntrigger: interaction_ended\nsteps:\n  - create_task: {team: t, title: x}\n")
    assert find_cycle({"a": a, "c": c}) is None
    cycle = find_cycle({"a": a, "b": b, "c": c})
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b"}
    selfloop = parse_rule("name: s\ntrigger: task_created\nsteps:\n  - create_task: {team: t, title: x}\n")
    assert find_cycle({"s": selfloop}) == ["s", "s"]


def test_templates_never_execute_code() -> None:
    out = render("{__class__} {a.b} {missing}", {"a": {"b": "<script>"}})
    assert out == " <script> "
