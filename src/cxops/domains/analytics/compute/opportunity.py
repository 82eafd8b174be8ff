"""The automation opportunity map: per intent, where AI creates value and where it should be pulled back.

    opportunity = volume x verified automation rate x knowledge coverage x policy coverage

Factors that no source provides (no source bound, or no evidence for the intent: no customer question to
search, no action proposed to govern) are left out of the product and listed in `missing`, never guessed. The
recommendation is a rule on the same figures (thresholds below), so a reader can check it by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PULL_BACK_BELOW = 0.5  # verified automation rate under which AI on an intent does more harm than good
EXPAND_ABOVE = 0.7  # verified automation rate above which more of the intent should go to AI
MIN_AI_EVIDENCE = 20  # AI contacts needed before judging an intent (below: "gather evidence")
COVERAGE_NEEDED = 0.5  # knowledge or policy coverage under which AI is not ready for an intent


def _recommend(row: Mapping[str, Any], kc: float | None, pc: float | None) -> str:
    var, ai_share = row.get("verified_automation_rate"), row.get("ai_share") or 0.0
    # the verified rate's evidence is the AI contacts whose repeat window has closed, not the pending ones
    ai_n = (row.get("ai_contacts") or 0) - (row.get("pending_verification") or 0)
    if ai_share == 0:
        if (kc is not None and kc < COVERAGE_NEEDED) or (pc is not None and pc < COVERAGE_NEEDED):
            return "prepare: cover it with knowledge and policy before a pilot"
        return "pilot: no AI yet on this intent"
    if var is None or ai_n < MIN_AI_EVIDENCE:
        return "gather evidence: too few verified AI contacts to judge"
    if var < PULL_BACK_BELOW:
        return "pull back: AI resolves under half of its contacts without a repeat"
    if var >= EXPAND_ABOVE and ai_share < 0.95:
        return "expand: AI resolves verifiably; route more of this intent to AI"
    return "hold: keep AI as is and watch repeats"


def opportunity_map(
    rows: Sequence[Mapping[str, Any]],
    *,
    knowledge: Mapping[str, float] | None,
    policy: Mapping[str, float] | None,
) -> list[dict[str, Any]]:
    """Score and advise each intent row (needs intent, volume, ai_share, verified_automation_rate, ai_contacts;
    pending_verification, the AI contacts whose repeat window is still open, is taken off the evidence if given).

    Args:
        rows: metric rows by intent.
        knowledge: coverage per intent in 0-1 (intents absent: no evidence), or None when no source is bound.
        policy: coverage per intent in 0-1 (intents absent: no evidence), or None when no source is bound.

    Returns:
        rows with `opportunity` (the product above, None without a verified rate), `headroom` (human-handled
        contacts x verified rate: contacts AI could take on), the coverages, `missing` factors and a
        `recommendation`; sorted by opportunity, highest first.
    """
    out = []
    for row in rows:
        intent = str(row.get("intent"))
        kc = None if knowledge is None else knowledge.get(intent)
        pc = None if policy is None else policy.get(intent)
        var = row.get("verified_automation_rate")
        missing = [n for n, v in (("knowledge_coverage", kc), ("policy_coverage", pc)) if v is None]
        score = None
        if var is not None:
            score = float(row.get("volume") or 0) * var * (1.0 if kc is None else kc) * (1.0 if pc is None else pc)
        human = float(row.get("volume") or 0) * (1 - float(row.get("ai_share") or 0))
        out.append(
            {
                **row,
                "knowledge_coverage": kc,
                "policy_coverage": pc,
                "opportunity": None if score is None else round(score, 2),
                "headroom": None if var is None else round(human * var, 1),
                "missing": missing,
                "recommendation": _recommend(row, kc, pc),
            }
        )
    out.sort(key=lambda r: (r["opportunity"] is None, -(r["opportunity"] or 0), -(r.get("volume") or 0)))
    return out
