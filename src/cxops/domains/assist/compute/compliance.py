"""Compliance reminders: required disclosures not yet said (and missed past their deadline), prohibited phrases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxops.domains.assist.compute.phrases import compile_phrases, first_match
from cxops.domains.assist.compute.rulefiles import load_mapping


@dataclass(frozen=True, slots=True)
class Rule:
    """A required disclosure (with its deadline in agent turns) or a prohibited phrase list."""

    id: str
    title: str
    phrases: tuple[str, ...]
    channels: tuple[str, ...] = ()
    by_agent_turn: int = 0


def _fail(path: str, why: str) -> ValueError:
    return ValueError(f"compliance: {path}: {why}")


def _rule(item: Any, path: str, required: bool) -> Rule:
    if not isinstance(item, dict):
        raise _fail(path, "must be a mapping")
    for key in ("id", "title"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise _fail(f"{path}.{key}", "must be a non-empty string")
    phrases = item.get("phrases")
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) for p in phrases):
        raise _fail(f"{path}.phrases", "must be a non-empty list of strings")
    by = item.get("by_agent_turn", 0)
    if required and (not isinstance(by, int) or isinstance(by, bool) or by < 1):
        raise _fail(f"{path}.by_agent_turn", "must be a whole number >= 1")
    channels = item.get("channels") or []
    return Rule(item["id"].strip(), item["title"].strip(), compile_phrases(phrases), tuple(channels), int(by or 0))


@dataclass(frozen=True)
class Rulebook:
    """Required disclosures and prohibited phrases."""

    required: tuple[Rule, ...]
    prohibited: tuple[Rule, ...]

    @classmethod
    def from_yaml(cls, text: str) -> Rulebook:
        """Parse the compliance YAML; ValueError naming the path of the first problem."""
        doc = load_mapping(text, "compliance", "required and prohibited")
        req = [_rule(r, f"required[{i}]", True) for i, r in enumerate(doc.get("required") or [])]
        pro = [_rule(r, f"prohibited[{i}]", False) for i, r in enumerate(doc.get("prohibited") or [])]
        return cls(tuple(req), tuple(pro))


@dataclass
class ComplianceState:
    """What one interaction's agents have said so far against the rulebook."""

    channel: str
    agent_turns: int = 0
    said: dict[str, int] = field(default_factory=dict)  # required rule id -> seq
    violations: list[dict[str, Any]] = field(default_factory=list)
    missed: set[str] = field(default_factory=set)

    def observe_agent(self, book: Rulebook, normalised_text: str, seq: int) -> list[dict[str, Any]]:
        """Record an agent turn; returns the new misses (prohibited phrase said, disclosure past its deadline)."""
        self.agent_turns += 1
        new: list[dict[str, Any]] = []
        for rule in book.required:
            if rule.id not in self.said and first_match(normalised_text, rule.phrases):
                self.said[rule.id] = seq
        for rule in book.prohibited:
            phrase = first_match(normalised_text, rule.phrases)
            if phrase is not None:
                miss = {"rule": rule.id, "kind": "prohibited", "title": rule.title, "phrase": phrase, "seq": seq}
                self.violations.append(miss)
                new.append(miss)
        for rule in self._applicable(book):
            if rule.id not in self.said and rule.id not in self.missed and self.agent_turns >= rule.by_agent_turn:
                self.missed.add(rule.id)
                new.append({"rule": rule.id, "kind": "required", "title": rule.title, "phrase": None, "seq": seq})
        return new

    def _applicable(self, book: Rulebook) -> list[Rule]:
        return [r for r in book.required if not r.channels or self.channel in r.channels]

    def reminders(self, book: Rulebook) -> list[dict[str, Any]]:
        """Open reminders: required disclosures not yet said (overdue flagged), and the prohibited phrases said."""
        out: list[dict[str, Any]] = [
            {
                "rule": r.id,
                "kind": "required",
                "title": r.title,
                "overdue": r.id in self.missed,
                "turns_left": max(0, r.by_agent_turn - self.agent_turns),
            }
            for r in self._applicable(book)
            if r.id not in self.said
        ]
        out.extend({"rule": v["rule"], "kind": "prohibited", "title": v["title"], "phrase": v["phrase"],
                    "seq": v["seq"]} for v in self.violations[-3:])  # fmt: skip
        return out
