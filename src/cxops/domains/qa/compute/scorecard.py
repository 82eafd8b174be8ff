"""Scorecards as versioned YAML: sections and criteria with weights, auto-fail flags and a detector each.

    name: Customer care
    version: 3
    sections:
      - name: Opening
        weight: 20                     # section weights add up to 100
        criteria:
          - id: greeting
            name: Greets the customer
            weight: 60                 # criterion weights add up to 100 within a section
            detector: {type: phrase, phrases: ["thank you for calling"], within_first: 2}
          - id: identity_first
            name: Verifies identity before any account change
            weight: 40
            auto_fail: true            # failing it fails the whole evaluation
            detector: {type: order, first: {phrases: ["verify your identity"]}, then: {phrases: ["refund"]}}

Scoring: a section's score is the weighted share of its applicable criteria that pass (criteria that do not
apply are left out and the rest renormalised); the total is the weighted mean of applicable sections, 0-100;
any failed auto-fail criterion makes the total 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from cxops.domains.qa.compute.detectors import DETECTORS, Context, Outcome
from cxops.domains.qa.compute.model import CriterionResult, Encoder, InteractionView, Score


class ScorecardError(ValueError):
    """A scorecard that cannot be used, with its line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    weight: float
    auto_fail: bool
    detector_type: str
    detect: Callable[[Context], Outcome]


@dataclass(frozen=True)
class Section:
    name: str
    weight: float
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Scorecard:
    name: str
    version: int
    sections: tuple[Section, ...]

    @property
    def criteria(self) -> list[Criterion]:
        return [c for s in self.sections for c in s.criteria]


def _line(node: Any) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _items(node: Any) -> dict[str, Any]:
    return {str(k.value): v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def parse_scorecard(text: str) -> Scorecard:
    """A Scorecard from YAML, or ScorecardError with the line and the reason."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScorecardError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None
        ) from None
    if not isinstance(data, dict):
        raise ScorecardError("a scorecard is a mapping with name, version and sections", _line(root))
    nodes = _items(root)
    for key in ("name", "version", "sections"):
        if key not in data:
            raise ScorecardError(f"missing '{key}'", 1)
    if not isinstance(data["version"], int) or data["version"] < 1:
        raise ScorecardError("version must be a positive whole number", _line(nodes["version"]))
    sec_nodes = nodes["sections"].value if isinstance(nodes["sections"], yaml.SequenceNode) else []
    if not isinstance(data["sections"], list) or not data["sections"]:
        raise ScorecardError("sections must be a non-empty list", _line(nodes["sections"]))
    sections = tuple(_section(n, d) for n, d in zip(sec_nodes, data["sections"], strict=True))
    _check_sum([s.weight for s in sections], "section weights", _line(nodes["sections"]))
    ids = [c.id for s in sections for c in s.criteria]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ScorecardError(f"criterion ids must be unique; repeated: {dupes}", _line(nodes["sections"]))
    return Scorecard(str(data["name"]), int(data["version"]), sections)


def _check_sum(weights: list[float], what: str, line: int | None) -> None:
    total = sum(weights)
    if not math.isclose(total, 100.0, abs_tol=0.01):
        raise ScorecardError(f"{what} add up to {total:g}, not 100", line)


def _section(node: Any, data: Any) -> Section:
    if not isinstance(data, dict) or "name" not in data or "criteria" not in data:
        raise ScorecardError("a section needs name, weight and criteria", _line(node))
    weight = data.get("weight")
    if not isinstance(weight, int | float) or weight <= 0:
        raise ScorecardError("a section weight must be a positive number", _line(node))
    crit_node = _items(node).get("criteria")
    crit_nodes = crit_node.value if isinstance(crit_node, yaml.SequenceNode) else []
    if not isinstance(data["criteria"], list) or not data["criteria"]:
        raise ScorecardError(f"section '{data['name']}' has no criteria", _line(node))
    criteria = tuple(_criterion(n, d) for n, d in zip(crit_nodes, data["criteria"], strict=True))
    _check_sum([c.weight for c in criteria], f"criterion weights of section '{data['name']}'", _line(node))
    return Section(str(data["name"]), float(weight), criteria)


def _criterion(node: Any, data: Any) -> Criterion:
    line = _line(node)
    if not isinstance(data, dict):
        raise ScorecardError("a criterion is a mapping", line)
    for key in ("id", "name", "weight", "detector"):
        if key not in data:
            raise ScorecardError(f"criterion needs '{key}'", line)
    if not isinstance(data["weight"], int | float) or data["weight"] <= 0:
        raise ScorecardError("a criterion weight must be a positive number", line)
    det = data["detector"]
    det_line = _line(_items(node).get("detector")) or line
    if not isinstance(det, dict) or "type" not in det:
        raise ScorecardError("detector needs a 'type'", det_line)
    factory = DETECTORS.get(det["type"])
    if factory is None:
        raise ScorecardError(f"unknown detector '{det['type']}'; expected one of {sorted(DETECTORS)}", det_line)
    try:
        detect = factory({k: v for k, v in det.items() if k != "type"})
    except ValueError as exc:
        raise ScorecardError(f"detector of '{data['id']}': {exc}", det_line) from None
    return Criterion(
        str(data["id"]),
        str(data["name"]),
        float(data["weight"]),
        bool(data.get("auto_fail", False)),
        det["type"],
        detect,
    )


def score(card: Scorecard, view: InteractionView, encoder: Encoder | None = None) -> Score:
    """Score one interaction; every criterion carries its status, points, rule and evidence turns."""
    ctx = Context(view, encoder)
    result = Score(card.name, card.version, 0.0, False)
    weighted, applicable = 0.0, 0.0
    for section in card.sections:
        got, possible = 0.0, 0.0
        for crit in section.criteria:
            outcome = crit.detect(ctx)
            points = crit.weight if outcome.status == "pass" else 0.0
            if outcome.status != "na":
                got, possible = got + points, possible + crit.weight
            if outcome.status == "fail" and crit.auto_fail:
                result.auto_failed = True
            result.criteria.append(
                CriterionResult(
                    crit.id,
                    section.name,
                    outcome.status,
                    points,
                    crit.weight if outcome.status != "na" else 0.0,
                    f"{crit.detector_type}: {crit.name}",
                    outcome.evidence,
                    outcome.detail,
                )
            )
        if possible > 0:
            section_score = 100.0 * got / possible
            result.sections[section.name] = round(section_score, 2)
            weighted += section.weight * section_score
            applicable += section.weight
    result.total = 0.0 if result.auto_failed else round(weighted / applicable, 2) if applicable else 0.0
    return result
