"""Policy packs: versioned YAML files of rules, loaded and checked at once, rejected with the line on error.

Format::

    pack: tau2-retail            # name
    version: "2026.11.1"         # version, recorded with every decision
    system: retail               # the catalogue system whose actions it governs
    business_hours: {days: [0, 1, 2, 3, 4], start: 8, end: 20}   # optional, local hours of time.*
    rules:
      - id: R4-status
        actions: [cancel_pending_order]      # or "*" for every action of the system
        when: entity.order_status != 'pending'
        effect: deny                         # or require_approval
        reason: only pending orders can be cancelled
    tests:                                   # the pack's own tests (run by `cxops actions test-policy`)
      - name: cancel a delivered order
        action: cancel_pending_order
        params: {...}; entity: {...}; context: {...}    # trust, velocity, time optional
        expect: deny
        rules: [R4-status]                   # optional: ids that must fire
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

import yaml

from cxops.core.errors import NotFound, ValidationFailed
from cxops.domains.actions.compute.catalogue import Catalogue
from cxops.domains.actions.policy.expr import ExpressionError, compile_condition

EFFECTS = ("deny", "require_approval")
OUTCOMES = ("allow", "require_approval", "deny")
_RULE_KEYS = {"id", "actions", "when", "effect", "reason", "source"}
_PACK_KEYS = {"pack", "version", "system", "description", "business_hours", "rules", "tests"}


class PolicyPackError(ValidationFailed):
    """A pack that does not parse, or whose rules reference unknown actions or fields; names the line."""

    def __init__(self, message: str, *, line: int | None, source: str = "<pack>") -> None:
        where = f"{source}, line {line}" if line else source
        super().__init__(f"policy pack {where}: {message}", field="pack", details={"line": line, "source": source})
        self.line = line


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule."""

    id: str
    actions: tuple[str, ...]
    when: str
    code: CodeType
    effect: str
    reason: str
    line: int
    source: str = ""


@dataclass
class PolicyPack:
    """A loaded pack: rules indexed by action, plus its tests."""

    name: str
    version: str
    system: str
    rules: list[Rule]
    tests: list[dict[str, Any]]
    business_hours: dict[str, Any] = field(default_factory=dict)
    by_action: dict[str, list[Rule]] = field(default_factory=dict)

    def rules_for(self, action: str) -> list[Rule]:
        return self.by_action.get(action, [])


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping and of each of its keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__lines__"] = {k.value: v.start_mark.line + 1 for k, v in node.value if hasattr(k, "value")}
        return mapping


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("__line__", "__lines__")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyPackError(f"YAML does not parse: {problem}", line=line, source=source) from None
    if not isinstance(data, dict):
        raise PolicyPackError("top level must be a mapping with pack, version, system, rules", line=1, source=source)
    return data


def _rule_actions(raw: dict[str, Any], catalogue: Catalogue, system: str, line: int, source: str) -> tuple[str, ...]:
    acts = raw.get("actions", "*")
    mine = sorted(n for n, s in catalogue.actions.items() if s.system == system)
    if acts == "*":
        return tuple(mine)
    if not isinstance(acts, list) or not acts or not all(isinstance(a, str) for a in acts):
        raise PolicyPackError("'actions' must be '*' or a non-empty list of action names", line=line, source=source)
    for name in acts:
        if name not in catalogue.actions or catalogue.actions[name].system != system:
            raise PolicyPackError(f"unknown action '{name}' for system '{system}'", line=line, source=source)
    return tuple(acts)


def _compile_rule(raw: Any, catalogue: Catalogue, system: str, source: str, seen: set[str]) -> Rule:
    if not isinstance(raw, dict):
        raise PolicyPackError("each rule must be a mapping", line=None, source=source)
    line, lines = raw["__line__"], raw["__lines__"]
    extra = sorted(set(raw) - _RULE_KEYS - {"__line__", "__lines__"})
    if extra:
        raise PolicyPackError(f"unknown rule key '{extra[0]}'", line=lines.get(extra[0], line), source=source)
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise PolicyPackError("rule needs a string 'id'", line=line, source=source)
    if rid in seen:
        raise PolicyPackError(f"duplicate rule id '{rid}'", line=line, source=source)
    seen.add(rid)
    effect = raw.get("effect")
    if effect not in EFFECTS:
        raise PolicyPackError(
            f"rule {rid}: effect must be one of {EFFECTS}", line=lines.get("effect", line), source=source
        )
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyPackError(f"rule {rid}: a human-readable 'reason' is required", line=line, source=source)
    actions = _rule_actions(raw, catalogue, system, lines.get("actions", line), source)
    when = raw.get("when")
    if not isinstance(when, str) or not when.strip():
        raise PolicyPackError(f"rule {rid}: a 'when' condition (text) is required", line=line, source=source)
    try:
        code = compile_condition(when, catalogue.common_fields(list(actions)))
    except ExpressionError as exc:
        raise PolicyPackError(f"rule {rid}: {exc}", line=lines.get("when", line), source=source) from None
    return Rule(rid, actions, str(when), code, effect, reason.strip(), line, str(raw.get("source", "")))


def load_pack(text: str, catalogue: Catalogue, *, source: str = "<pack>") -> PolicyPack:
    """Parse and compile a pack; raises PolicyPackError naming the line of the first problem."""
    data = _parse(text, source)
    lines = data.get("__lines__", {})
    extra = sorted(set(data) - _PACK_KEYS - {"__line__", "__lines__"})
    if extra:
        raise PolicyPackError(f"unknown top-level key '{extra[0]}'", line=lines.get(extra[0]), source=source)
    for key in ("pack", "version", "system"):
        if not isinstance(data.get(key), (str, int, float)) or data.get(key) in ("", None):
            raise PolicyPackError(f"'{key}' is required", line=lines.get(key, 1), source=source)
    system = str(data["system"])
    if not any(s.system == system for s in catalogue.actions.values()):
        raise PolicyPackError(f"unknown system '{system}'", line=lines.get("system"), source=source)
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise PolicyPackError("'rules' must be a non-empty list", line=lines.get("rules", 1), source=source)
    seen: set[str] = set()
    rules = [_compile_rule(r, catalogue, system, source, seen) for r in raw_rules]
    tests = data.get("tests") or []
    if not isinstance(tests, list):
        raise PolicyPackError("'tests' must be a list", line=lines.get("tests"), source=source)
    for t in tests:
        _check_test(t, catalogue, source)
    pack = PolicyPack(str(data["pack"]), str(data["version"]), system, rules, [_keep_line(t) for t in tests])
    pack.business_hours = _strip(data.get("business_hours") or {})
    for rule in rules:
        for name in rule.actions:
            pack.by_action.setdefault(name, []).append(rule)
    return pack


def _keep_line(test: dict[str, Any]) -> dict[str, Any]:
    out = _strip(test)
    out["line"] = test.get("__line__")
    return out


def _check_test(test: Any, catalogue: Catalogue, source: str) -> None:
    if not isinstance(test, dict):
        raise PolicyPackError("each test must be a mapping", line=None, source=source)
    line = test["__line__"]
    if test.get("expect") not in OUTCOMES:
        raise PolicyPackError(f"test expect must be one of {OUTCOMES}", line=line, source=source)
    try:
        catalogue.get(str(test.get("action")))
    except NotFound as exc:
        raise PolicyPackError(f"test: {exc.message}", line=line, source=source) from None


def load_pack_file(path: Path, catalogue: Catalogue) -> PolicyPack:
    """Load a pack from a file (errors name the file and line)."""
    return load_pack(path.read_text(encoding="utf-8"), catalogue, source=path.name)
