"""The gate decision of a pilot: scale, extend or stop, always with its reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxops.domains.pilots.compute.stats import Comparison


@dataclass(frozen=True, slots=True)
class Guardrail:
    """A secondary comparison that must not get significantly worse (e.g. CSAT, repeat contact)."""

    comparison: Comparison
    higher_is_better: bool


@dataclass
class Decision:
    decision: str  # scale | extend | stop
    reasons: list[str] = field(default_factory=list)


def decide(
    primary: Comparison,
    *,
    look_alpha: float,
    information_fraction: float,
    guardrails: list[Guardrail] = (),  # type: ignore[assignment]
    guardrail_alpha: float = 0.05,
) -> Decision:
    """Scale when the primary metric improves significantly at this look's alpha and no guardrail is harmed;
    stop when it is significantly worse, a guardrail is harmed, or the planned sample is reached without effect;
    otherwise extend."""
    reasons: list[str] = []
    harmed = [
        g
        for g in guardrails
        if g.comparison.p_value < guardrail_alpha and (g.comparison.diff < 0) == g.higher_is_better
    ]
    for g in harmed:
        reasons.append(
            f"guardrail {g.comparison.metric} got significantly worse: {g.comparison.diff:+.4f} "
            f"(95% CI {g.comparison.ci_low:+.4f} to {g.comparison.ci_high:+.4f}, p={g.comparison.p_value:.4f})"
        )
    effect = (
        f"{primary.metric}: treatment {primary.treatment:.4f} vs control {primary.control:.4f}, "
        f"difference {primary.diff:+.4f} (95% CI {primary.ci_low:+.4f} to {primary.ci_high:+.4f}), "
        f"p={primary.p_value:.4g} against this look's alpha {look_alpha:.4g}"
    )
    reasons.append(effect)
    significant = primary.p_value < look_alpha
    if harmed:
        return Decision("stop", reasons)
    if significant and primary.diff > 0:
        reasons.append("the improvement is significant at the alpha spent for this look: scale")
        return Decision("scale", reasons)
    if significant and primary.diff < 0:
        reasons.append("the treatment is significantly worse: stop")
        return Decision("stop", reasons)
    if information_fraction >= 1.0:
        reasons.append("the planned sample is reached without a significant improvement: stop (no proven value)")
        return Decision("stop", reasons)
    reasons.append(
        f"{information_fraction:.0%} of the planned sample so far and no decisive result: extend "
        "(peeking is allowed; each look only spends its share of alpha)"
    )
    return Decision("extend", reasons)
