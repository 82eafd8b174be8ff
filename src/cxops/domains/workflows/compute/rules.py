"""Workflow rules as YAML: parsed with line numbers, validated, evaluated without eval().

A rule:

    name: Review low QA scores
    trigger: qa_scored_below_threshold
    conditions:              # all must hold; fields are read from the event (dotted paths)
      - {field: score, op: lt, value: 60}
    steps:                   # run in order; a failed step stops the run
      - create_task: {team: quality, title: "Review interaction {interaction_id}"}
      - notify: {message: "Low QA score {score} for {agent}", level: warning}
      - webhook: {url: "https://example.org/hook", secret_env: HOOK_SECRET}

A `request_approval` step gates the steps after it: the run waits for the decision, goes on with them once approved
and skips them when the approval is rejected or expires. Those steps can read the decision as `{approval.reason}`,
`{approval.by}` and `{approval.decision}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

#: Friendly trigger name -> event type on the bus.
TRIGGERS: dict[str, str] = {
    "interaction_ended": "interactions.ended",
    "qa_scored_below_threshold": "qa.evaluations_scored",
    "trust_threshold_crossed": "trust.threshold_crossed",
    "action_denied": "actions.decided",
    "breaker_tripped": "actions.breaker_tripped",
    "service_level_breached": "analytics.service_level_breached",
    "knowledge_conflict_found": "knowledge.conflict_found",
    "emerging_topic": "analytics.emerging_topic",
    "task_created": "workflows.task_created",
    "notification_created": "workflows.notification_created",
    "interaction_tagged": "workflows.interaction_tagged",
    "automation_paused": "workflows.automation_paused",
    "approval_requested": "workflows.approval_requested",
}

#: Step kind -> (required params, optional params, event type the step emits or None).
STEPS: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {
    "webhook": (frozenset({"url"}), frozenset({"secret_env", "timeout_s", "attempts", "body"}), None),
    "create_task": (frozenset({"team", "title"}), frozenset({"body", "priority"}), "workflows.task_created"),
    "notify": (frozenset({"message"}), frozenset({"level", "roles"}), "workflows.notification_created"),
    "tag": (frozenset({"tags"}), frozenset({"interaction_field"}), "workflows.interaction_tagged"),
    "pause_automation": (frozenset({"agent"}), frozenset({"reason"}), "workflows.automation_paused"),
    "request_approval": (frozenset({"title"}), frozenset({"body", "expires_in_h"}), "workflows.approval_requested"),
    "close_breaker": (frozenset({"scope", "key"}), frozenset({"reason"}), None),
}
#: The step that makes the steps after it wait for a decision.
GATE = "request_approval"
BREAKER_SCOPES = ("action", "agent")

OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a is not None and a < b,
    "le": lambda a, b: a is not None and a <= b,
    "gt": lambda a, b: a is not None and a > b,
    "ge": lambda a, b: a is not None and a >= b,
    "in": lambda a, b: a in b,
    "contains": lambda a, b: a is not None and b in a,
    "exists": lambda a, b: (a is not None) == bool(b),
}
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][\w.]*)\}")
MAX_STEPS = 20


class RuleError(ValueError):
    """A rule that cannot be used, with the YAML line it is about."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Step:
    kind: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Rule:
    name: str
    trigger: str
    conditions: tuple[Condition, ...]
    steps: tuple[Step, ...]
    description: str = ""
    enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def event_type(self) -> str:
        return TRIGGERS[self.trigger]

    def emits(self) -> set[str]:
        """Event types this rule's steps publish (for loop detection)."""
        return {STEPS[s.kind][2] for s in self.steps if STEPS[s.kind][2]}  # type: ignore[misc]


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _mapping(node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise RuleError(f"{what} must be a mapping", _line(node))
    return {str(k.value): (k, v) for k, v in node.value}


def parse_rule(text: str) -> Rule:
    """A Rule from YAML text, or RuleError naming the line and the problem."""
    if not text.strip():
        raise RuleError("the rule is empty")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None) from None
    if root is None:
        raise RuleError("the rule is empty")
    top = _mapping(root, "a rule")
    known = {"name", "description", "trigger", "conditions", "steps", "enabled"}
    for key, (knode, _) in top.items():
        if key not in known:
            raise RuleError(f"unknown key '{key}'; expected one of {sorted(known)}", _line(knode))
    data = yaml.safe_load(text)
    for key in ("name", "trigger", "steps"):
        if key not in top:
            raise RuleError(f"missing required key '{key}'", 1)
    name = data["name"]
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise RuleError("name must be text of 1-200 characters", _line(top["name"][1]))
    trigger = data["trigger"]
    if trigger not in TRIGGERS:
        raise RuleError(f"unknown trigger '{trigger}'; expected one of {sorted(TRIGGERS)}", _line(top["trigger"][1]))
    conditions = _conditions(top.get("conditions"), data.get("conditions"))
    steps = _steps(top["steps"][1], data["steps"])
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError("enabled must be true or false", _line(top["enabled"][1]))
    return Rule(name, trigger, conditions, steps, str(data.get("description") or ""), enabled)


def _conditions(pair: tuple[yaml.Node, yaml.Node] | None, data: Any) -> tuple[Condition, ...]:
    if pair is None or data is None:
        return ()
    node = pair[1]
    if not isinstance(node, yaml.SequenceNode) or not isinstance(data, list):
        raise RuleError("conditions must be a list", _line(node))
    out = []
    for item_node, item in zip(node.value, data, strict=True):
        if (
            not isinstance(item, dict)
            or set(item) - {"field", "op", "value"}
            or "field" not in item
            or "op" not in item
        ):
            raise RuleError("a condition is {field: ..., op: ..., value: ...}", _line(item_node))
        if item["op"] not in OPS:
            raise RuleError(f"unknown operator '{item['op']}'; expected one of {sorted(OPS)}", _line(item_node))
        if not isinstance(item["field"], str) or not re.fullmatch(r"[a-zA-Z_][\w.]*", item["field"]):
            raise RuleError(f"field must be a dotted name, not {item['field']!r}", _line(item_node))
        out.append(Condition(item["field"], item["op"], item.get("value")))
    return tuple(out)


def _steps(node: yaml.Node, data: Any) -> tuple[Step, ...]:
    if not isinstance(node, yaml.SequenceNode) or not isinstance(data, list) or not data:
        raise RuleError("steps must be a non-empty list", _line(node))
    if len(data) > MAX_STEPS:
        raise RuleError(f"at most {MAX_STEPS} steps", _line(node))
    out = []
    for item_node, item in zip(node.value, data, strict=True):
        if not isinstance(item, dict) or len(item) != 1:
            raise RuleError("each step is one mapping like '- notify: {message: ...}'", _line(item_node))
        kind, params = next(iter(item.items()))
        if kind not in STEPS:
            raise RuleError(f"unknown step '{kind}'; expected one of {sorted(STEPS)}", _line(item_node))
        params = params or {}
        if not isinstance(params, dict):
            raise RuleError(f"the parameters of '{kind}' must be a mapping", _line(item_node))
        if kind == "close_breaker":
            _check_breaker(params, _line(item_node))
        required, optional, _ = STEPS[kind]
        missing, unknown = required - set(params), set(params) - required - optional
        if missing:
            raise RuleError(f"step '{kind}' needs {sorted(missing)}", _line(item_node))
        if unknown:
            raise RuleError(f"step '{kind}' has unknown parameters {sorted(unknown)}", _line(item_node))
        if kind == "webhook" and not str(params["url"]).startswith(("http://", "https://")):
            raise RuleError("webhook url must start with http:// or https://", _line(item_node))
        out.append(Step(kind, dict(params)))
    return tuple(out)


def _check_breaker(params: dict[str, Any], line: int | None) -> None:
    """A `close_breaker` names the breaker: its scope ('action' or 'agent', or a {placeholder}) and its key."""
    missing = [name for name in ("scope", "key") if params.get(name) in (None, "")]
    if missing:
        raise RuleError(
            f"step 'close_breaker' needs the breaker's {' and '.join(missing)}: scope 'action' or 'agent' and the "
            'key of the action or agent, e.g. {scope: "{scope}", key: "{key}"} on a breaker_tripped rule',
            line,
        )
    scope = str(params["scope"])
    if scope not in BREAKER_SCOPES and not _PLACEHOLDER.search(scope):
        raise RuleError(
            f"step 'close_breaker' has scope {scope!r}; expected 'action', 'agent' or a placeholder like \"{{scope}}\"",
            line,
        )


def gated(rule: Rule) -> list[bool]:
    """For each step of `rule`, whether it runs only after an approval (it follows a `request_approval` step)."""
    out, waiting = [], False
    for step in rule.steps:
        out.append(waiting)
        waiting = waiting or step.kind == GATE
    return out


def lookup(context: dict[str, Any], path: str) -> Any:
    """Value at a dotted path of the event context, or None."""
    value: Any = context
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def matches(rule: Rule, context: dict[str, Any]) -> tuple[bool, list[str]]:
    """Whether every condition holds, with a line per condition saying why."""
    notes = []
    ok = True
    for cond in rule.conditions:
        actual = lookup(context, cond.field)
        passed = _passes(cond, actual)
        notes.append(f"{cond.field} {cond.op} {cond.value!r}: {'yes' if passed else 'no'} (value {actual!r})")
        ok = ok and passed
    return ok, notes


def holds(rule: Rule, context: dict[str, Any]) -> bool:
    """Whether every condition holds: the verdict of `matches` without its explanation, stopping at the first
    condition that fails (dry runs and backfills evaluate tens of thousands of subjects and explain a few)."""
    return all(_passes(cond, lookup(context, cond.field)) for cond in rule.conditions)


def _passes(cond: Condition, actual: Any) -> bool:
    """One condition's verdict on a value (a comparison of incomparable types fails it)."""
    try:
        return bool(OPS[cond.op](actual, cond.value))
    except TypeError:
        return False


def render(value: Any, context: dict[str, Any]) -> Any:
    """Fill {dotted.field} placeholders in step parameters from the event context (text only, never code)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(
            lambda m: "" if lookup(context, m.group(1)) is None else str(lookup(context, m.group(1))), value
        )
    if isinstance(value, list):
        return [render(v, context) for v in value]
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    return value


def find_cycle(rules: dict[str, Rule]) -> list[str] | None:
    """A chain of rule names that would trigger each other in a loop, or None."""
    by_event: dict[str, list[str]] = {}
    for name, rule in rules.items():
        if rule.enabled:
            by_event.setdefault(rule.event_type, []).append(name)
    graph = {name: sorted({n for e in rule.emits() for n in by_event.get(e, [])}) for name, rule in rules.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for start in graph:
        if state.get(start) is None:
            found = visit(start)
            if found:
                return found
    return None
