"""Agreement between automatic and human evaluations, per criterion.

Cohen's kappa for two raters on pass/fail: kappa = (p_o - p_e) / (1 - p_e), p_o the observed agreement and
p_e the agreement expected by chance from each rater's marginal pass rates (Cohen, 1960, Educational and
Psychological Measurement 20, 37-46). Pairs where either side is not applicable are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Agreement:
    criterion: str
    pairs: int
    percent_agreement: float
    kappa: float | None
    auto_pass_rate: float
    human_pass_rate: float


def cohen_kappa(a: list[bool], b: list[bool]) -> float | None:
    """Kappa of two equally long pass/fail lists; None when chance agreement is total (kappa undefined)."""
    if len(a) != len(b) or not a:
        raise ValueError("kappa needs two non-empty lists of the same length")
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return None if pe == 1 else (po - pe) / (1 - pe)


def agreement(pairs: list[tuple[str, str, str]]) -> list[Agreement]:
    """Per criterion, from (criterion, auto status, human status) triples; most disagreement first."""
    by: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for criterion, auto, human in pairs:
        if auto in ("pass", "fail") and human in ("pass", "fail"):
            by[criterion].append((auto == "pass", human == "pass"))
    out = []
    for criterion, items in by.items():
        a, h = [x for x, _ in items], [y for _, y in items]
        out.append(
            Agreement(
                criterion,
                len(items),
                sum(x == y for x, y in items) / len(items),
                cohen_kappa(a, h),
                sum(a) / len(a),
                sum(h) / len(h),
            )
        )
    return sorted(out, key=lambda g: (g.percent_agreement, g.kappa if g.kappa is not None else 1.0))
