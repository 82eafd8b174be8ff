"""Next best step: resolution guides per intent, advanced as the agent's turns show steps done."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxops.domains.assist.compute.phrases import compile_phrases, first_match
from cxops.domains.assist.compute.rulefiles import load_mapping


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a guide; done once an agent turn says one of `done_when`."""

    id: str
    title: str
    hint: str
    done_when: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Guide:
    """The ordered steps for one intent (or the default)."""

    name: str
    steps: tuple[Step, ...]


def _fail(path: str, why: str) -> ValueError:
    return ValueError(f"guides: {path}: {why}")


def _text(obj: Any, path: str) -> str:
    if not isinstance(obj, str) or not obj.strip():
        raise _fail(path, "must be a non-empty string")
    return obj.strip()


def _phrases(obj: Any, path: str) -> tuple[str, ...]:
    if not isinstance(obj, list) or not obj:
        raise _fail(path, "must be a non-empty list of phrases")
    return compile_phrases([_text(p, f"{path}[{i}]") for i, p in enumerate(obj)])


def _steps(raw: Any) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail("steps", "must be a non-empty list")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _fail(f"steps[{i}]", "must be a mapping with id, title, hint, done_when")
        out.append(
            Step(
                id=_text(item.get("id"), f"steps[{i}].id"),
                title=_text(item.get("title"), f"steps[{i}].title"),
                hint=_text(item.get("hint"), f"steps[{i}].hint"),
                done_when=_phrases(item.get("done_when"), f"steps[{i}].done_when"),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class GuideBook:
    """The default guide, per-intent guides (family hints applied) and the step for out-of-scope requests."""

    default: Guide
    by_intent: dict[str, Guide]
    clarify: Step

    @classmethod
    def from_yaml(cls, text: str) -> GuideBook:
        """Parse the guides YAML; ValueError naming the path of the first problem."""
        doc = load_mapping(text, "guides", "steps, clarify, families")
        steps = _steps(doc.get("steps"))
        ids = {s.id for s in steps}
        c = doc.get("clarify") or {}
        clarify = Step(_text(c.get("id"), "clarify.id"), _text(c.get("title"), "clarify.title"),
                       _text(c.get("hint"), "clarify.hint"))  # fmt: skip
        by_intent: dict[str, Guide] = {}
        for family, spec in (doc.get("families") or {}).items():
            if not isinstance(spec, dict) or not isinstance(spec.get("intents"), list):
                raise _fail(f"families.{family}", "must have a list of intents")
            hints = spec.get("hints") or {}
            unknown = sorted(set(hints) - ids)
            if unknown:
                raise _fail(f"families.{family}.hints", f"unknown step {unknown[0]!r}; steps are {sorted(ids)}")
            guide = Guide(
                str(family),
                tuple(
                    Step(s.id, s.title, _text(hints.get(s.id, s.hint), f"families.{family}.hints.{s.id}"), s.done_when)
                    for s in steps
                ),
            )
            for intent in spec["intents"]:
                by_intent[_text(intent, f"families.{family}.intents")] = guide
        return cls(Guide("default", steps), by_intent, clarify)

    def for_intent(self, intent: str | None) -> Guide:
        """The guide of `intent`, else the default one."""
        return self.by_intent.get(intent or "", self.default)


@dataclass
class GuideProgress:
    """Steps done so far in one interaction (by step id, so a change of intent keeps them)."""

    done: dict[str, int] = field(default_factory=dict)  # step id -> seq of the turn that did it

    def observe(self, guide: Guide, normalised_text: str, seq: int) -> list[str]:
        """Mark the steps an agent turn shows done; returns the newly done step ids."""
        new = []
        for step in guide.steps:
            if step.id not in self.done and first_match(normalised_text, step.done_when):
                self.done[step.id] = seq
                new.append(step.id)
        return new

    def next_step(self, book: GuideBook, guide: Guide, out_of_scope: bool) -> dict[str, Any]:
        """The card shown to the agent: the first step not done, with progress."""
        total = len(guide.steps)
        done = sum(1 for s in guide.steps if s.id in self.done)
        if out_of_scope and done == 0:
            step = book.clarify
        else:
            step = next((s for s in guide.steps if s.id not in self.done), None)  # type: ignore[assignment]
        if step is None:
            return {"guide": guide.name, "step": None, "title": "All steps done: close the contact", "hint": None,
                    "done": done, "of": total}  # fmt: skip
        return {"guide": guide.name, "step": step.id, "title": step.title, "hint": step.hint, "done": done, "of": total}
