"""The automation opportunity map: per intent, where AI creates value and where it should be pulled back.

    opportunity = volume x verified automation rate x knowledge coverage x policy coverage

Factors that no source provides (no source bound, or no evidence for the intent: no customer question to
search, no action proposed to govern) are left out of the product and listed in `missing`, never guessed.

The advice is a decision table on the same figures (`ADVICE_RULES`, also in docs/analytics.md): the rules are
tried in order and the first that holds gives the advice, with its rule number and a reason quoting the figures,
so a reader can check it by hand. The order encodes precedence: evidence before judgement, pulling back
(AI is doing harm) before everything that blocks expansion, and a blocker (a coverage under
`COVERAGE_NEEDED`) before "expand", so an intent is never advised to grow while a factor shown beside it says it
is not ready (policy coverage 0 % with "expand" was the contradiction this table removed). A coverage that is not
known (listed in `missing`) blocks nothing; the reason says it was not checked.

| rule | when (first that holds) | advice |
|---|---|---|
| 1 | no AI contact on the intent and volume < MIN_VOLUME | leave as is |
| 2 | no AI contact, knowledge or policy coverage < COVERAGE_NEEDED | prepare |
| 3 | no AI contact | pilot |
| 4 | fewer than MIN_AI_EVIDENCE AI contacts with a closed repeat window | gather evidence |
| 5 | verified automation rate < PULL_BACK_BELOW | pull back |
| 6 | policy coverage < COVERAGE_NEEDED | govern first |
| 7 | knowledge coverage < COVERAGE_NEEDED | document first |
| 8 | verified automation rate >= EXPAND_ABOVE and AI share < FULL_SHARE | expand |
| 9 | otherwise | hold |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PULL_BACK_BELOW = 0.5  # verified automation rate under which AI on an intent does more harm than good
EXPAND_ABOVE = 0.7  # verified automation rate from which more of the intent should go to AI
MIN_AI_EVIDENCE = 20  # AI contacts with a closed repeat window needed before judging an intent
COVERAGE_NEEDED = 0.5  # knowledge or policy coverage under which AI is not ready for (more of) an intent
MIN_VOLUME = 50  # contacts in range under which an intent without AI is too small to be worth a pilot
FULL_SHARE = 0.95  # AI share from which there is nothing left to route to AI

#: The decision table, in the order the rules are tried (the page and docs/analytics.md show it).
ADVICE_RULES: tuple[dict[str, Any], ...] = (
    {
        "rule": 1,
        "advice": "leave as is",
        "when": f"no AI contact on the intent and under {MIN_VOLUME} contacts in range",
    },
    {
        "rule": 2,
        "advice": "prepare",
        "when": f"no AI contact; knowledge or policy coverage under {COVERAGE_NEEDED:.0%}",
    },
    {"rule": 3, "advice": "pilot", "when": "no AI contact; the known coverages are ready"},
    {
        "rule": 4,
        "advice": "gather evidence",
        "when": f"fewer than {MIN_AI_EVIDENCE} AI contacts whose repeat window has closed",
    },
    {"rule": 5, "advice": "pull back", "when": f"verified AI resolution under {PULL_BACK_BELOW:.0%}"},
    {"rule": 6, "advice": "govern first", "when": f"policy coverage under {COVERAGE_NEEDED:.0%}"},
    {"rule": 7, "advice": "document first", "when": f"knowledge coverage under {COVERAGE_NEEDED:.0%}"},
    {
        "rule": 8,
        "advice": "expand",
        "when": f"verified AI resolution {EXPAND_ABOVE:.0%} or more and AI share under {FULL_SHARE:.0%}",
    },
    {"rule": 9, "advice": "hold", "when": "otherwise"},
)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _gaps(kc: float | None, pc: float | None) -> list[str]:
    """The coverages under COVERAGE_NEEDED, worded for a reason."""
    out = []
    if pc is not None and pc < COVERAGE_NEEDED:
        out.append(
            "no policy pack has a rule of its own for the actions proposed in its contacts"
            if pc == 0
            else f"policy rules of their own govern only {_pct(pc)} of the action steps proposed in its contacts"
        )
    if kc is not None and kc < COVERAGE_NEEDED:
        out.append(f"knowledge search answers only {_pct(kc)} of its sampled customer questions")
    return out


def advise(row: Mapping[str, Any], kc: float | None, pc: float | None) -> tuple[int, str, str]:
    """(rule number, advice, reason) of the first rule of ADVICE_RULES that holds for an intent row."""
    var, ai_share = row.get("verified_automation_rate"), float(row.get("ai_share") or 0.0)
    volume = int(row.get("volume") or 0)
    # the verified rate's evidence is the AI contacts whose repeat window has closed, not the pending ones
    ai_n = int(row.get("ai_contacts") or 0) - int(row.get("pending_verification") or 0)
    gaps = _gaps(kc, pc)
    unknown = [name for name, v in (("knowledge", kc), ("policy", pc)) if v is None]
    not_checked = f" ({' and '.join(unknown)} coverage not known)" if unknown else ""
    if ai_share == 0:
        if volume < MIN_VOLUME:
            return 1, "leave as is", f"only {volume} contacts in range and no AI on it: too few to be worth a pilot"
        if gaps:
            return 2, "prepare", "before a pilot: " + "; ".join(gaps)
        return 3, "pilot", f"no AI on this intent yet and nothing shown blocks one{not_checked}"
    if var is None or ai_n < MIN_AI_EVIDENCE:
        return (
            4,
            "gather evidence",
            (f"only {max(ai_n, 0)} AI contacts have a closed repeat window (need {MIN_AI_EVIDENCE}) to judge"),
        )
    if var < PULL_BACK_BELOW:
        why = f"AI resolves only {_pct(var)} of its judged contacts without a repeat (under {_pct(PULL_BACK_BELOW)})"
        return 5, "pull back", why + ("; also " + "; ".join(gaps) if gaps else "")
    if pc is not None and pc < COVERAGE_NEEDED:
        return 6, "govern first", "; ".join(gaps) + f" (verified AI resolution {_pct(var)})"
    if kc is not None and kc < COVERAGE_NEEDED:
        return 7, "document first", "; ".join(gaps) + f" (verified AI resolution {_pct(var)})"
    if var >= EXPAND_ABOVE and ai_share < FULL_SHARE:
        return (
            8,
            "expand",
            (
                f"AI resolves {_pct(var)} of {ai_n} judged contacts verifiably; route more of this intent to AI"
                + not_checked
            ),
        )
    if var >= EXPAND_ABOVE:
        return 9, "hold", f"AI already takes {_pct(ai_share)} of this intent and resolves {_pct(var)} verifiably"
    return (
        9,
        "hold",
        (
            f"verified AI resolution {_pct(var)} is between {_pct(PULL_BACK_BELOW)} and {_pct(EXPAND_ABOVE)}: "
            "keep AI as is and watch repeats"
        ),
    )


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
        contacts x verified rate: contacts AI could take on), the coverages, `missing` factors, the advice of
        the decision table (`advice`, `advice_rule`, `advice_reason`) and `recommendation` ("advice: reason");
        sorted by opportunity, highest first.
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
        rule, advice, reason = advise(row, kc, pc)
        out.append(
            {
                **row,
                "knowledge_coverage": kc,
                "policy_coverage": pc,
                "opportunity": None if score is None else round(score, 2),
                "headroom": None if var is None else round(human * var, 1),
                "missing": missing,
                "advice": advice,
                "advice_rule": rule,
                "advice_reason": reason,
                "recommendation": f"{advice}: {reason}",
            }
        )
    out.sort(key=lambda r: (r["opportunity"] is None, -(r["opportunity"] or 0), -(r.get("volume") or 0)))
    return out
