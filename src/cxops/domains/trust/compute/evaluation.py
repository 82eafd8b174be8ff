"""Precision and recall of the PII detector on a labelled set of utterances (pure compute)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxops.domains.trust.compute.pii import KINDS, STRUCTURED, Span, detect

EVAL_SET = Path(__file__).resolve().parents[1] / "eval" / "redaction_eval.json"
#: Written after the detector was tuned on EVAL_SET and never used to change it.
HELD_OUT = EVAL_SET.with_name("redaction_heldout.json")


@dataclass
class KindScore:
    """Counts for one kind: true positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Report:
    """Per-kind scores and the misses, for inspection."""

    kinds: dict[str, KindScore] = field(default_factory=lambda: {k: KindScore() for k in KINDS})
    misses: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """precision/recall per kind plus `recall_min_structured` and `precision_overall`."""
        per_kind = {
            k: {"precision": _r(s.precision), "recall": _r(s.recall), "support": s.tp + s.fn, "false_positives": s.fp}
            for k, s in self.kinds.items()
            if s.tp + s.fn + s.fp
        }
        tp = sum(s.tp for s in self.kinds.values())
        fp = sum(s.fp for s in self.kinds.values())
        recalls = [self.kinds[k].recall for k in STRUCTURED]
        return {
            "per_kind": per_kind,
            "recall_min_structured": _r(min(r for r in recalls if r is not None)) if any(recalls) else None,
            "precision_overall": _r(tp / (tp + fp)) if tp + fp else None,
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def load_items(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    """The labelled utterances: [{"text": ..., "pii": [{"kind", "start", "end"}]}]."""
    return list(json.loads(path.read_text(encoding="utf-8"))["items"])


def score(items: Sequence[dict[str, Any]], detector: Callable[[str], list[Span]] = detect) -> Report:
    """Match detected spans to labelled ones: same kind and overlapping counts as a true positive.

    precision = TP / (TP + FP), recall = TP / (TP + FN), per kind; a span detected with the wrong kind
    counts as a false positive of that kind and a false negative of the labelled kind.
    """
    report = Report()
    for item in items:
        text = item["text"]
        gold = [Span(g["kind"], g["start"], g["end"]) for g in item["pii"]]
        found = detector(text)
        matched: set[int] = set()
        for span in found:
            hit = next(
                (i for i, g in enumerate(gold) if i not in matched and g.kind == span.kind and _overlap(g, span)),
                None,
            )
            if hit is None:
                report.kinds[span.kind].fp += 1
                report.misses.append({"text": text, "false_positive": span.kind, "value": text[span.start : span.end]})
            else:
                matched.add(hit)
                report.kinds[span.kind].tp += 1
        for i, g in enumerate(gold):
            if i not in matched:
                report.kinds[g.kind].fn += 1
                report.misses.append({"text": text, "missed": g.kind, "value": text[g.start : g.end]})
    return report


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end
