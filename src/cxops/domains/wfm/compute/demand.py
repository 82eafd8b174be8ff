"""AI-aware demand: how much of each intent automation resolves, and the human workload that remains.

For intent k over recent weeks (weights 0.5 ** (age_weeks / halflife)):
    automation share a_k = verified AI resolutions / contacts, shrunk towards the all-intent rate with a Beta prior of
        `prior_strength` pseudo-contacts, so a rare intent does not swing to 0% or 100%;
    escalation share e_k = AI contacts handed to a human / contacts.
Human contacts of an interval: H = V sum_k m_k (1 - a_k), where V is total demand and m_k the intent mix; escalated
contacts carry their own (usually longer) human handle time. A resolution is "verified" when the AI resolved it
without a hand-off and the customer did not come back on the same intent within the verification window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxops.core.errors import ValidationFailed

REQUIRED = ("intent", "week_age", "contacts", "verified_ai", "escalated", "human_handle_s", "escalated_handle_s")


@dataclass(frozen=True, slots=True)
class IntentDemand:
    """Forecast automation behaviour of one intent."""

    intent: str
    mix: float
    automation_share: float
    escalation_share: float
    human_aht_s: float
    escalated_aht_s: float
    contacts: float


def automation_shares(
    history: pd.DataFrame, *, halflife_weeks: float = 4.0, prior_strength: float = 20.0, default_aht_s: float = 300.0
) -> list[IntentDemand]:
    """Per-intent mix, automation and escalation shares from weekly counts.

    Args:
        history: one row per (intent, week) with columns intent, week_age (0 = latest week), contacts, verified_ai,
            escalated, human_handle_s (total seconds of human handling of non-escalated contacts) and
            escalated_handle_s (total human seconds of escalated contacts).
        halflife_weeks: recency weighting.
        prior_strength: Beta-prior pseudo-contacts pulling small intents towards the overall rate.
        default_aht_s: handle time used when an intent has no human-handled contact, or none with handle time.

    Returns:
        One IntentDemand per intent, sorted by intent.
    """
    missing = set(REQUIRED) - set(history.columns)
    if missing:
        raise ValidationFailed(f"automation history lacks columns {sorted(missing)}", field="history")
    if history.empty:
        raise ValidationFailed("no interactions in the window: cannot estimate automation shares", field="history")
    h = history.copy()
    w = 0.5 ** (h["week_age"].to_numpy(float) / halflife_weeks)
    for col in REQUIRED[2:]:
        h[col] = h[col].to_numpy(float) * w
    g = h.groupby("intent", sort=True)[list(REQUIRED[2:])].sum()
    total = float(g["contacts"].sum())
    overall = float(g["verified_ai"].sum()) / total if total > 0 else 0.0
    overall_esc = float(g["escalated"].sum()) / total if total > 0 else 0.0
    out = []
    for intent, r in g.iterrows():
        n = float(r["contacts"])
        direct = max(n - float(r["verified_ai"]) - float(r["escalated"]), 0.0)
        esc = float(r["escalated"])
        # contacts without handle time (all abandoned before an agent answered) are no evidence of it
        handled, esc_handled = float(r["human_handle_s"]), float(r["escalated_handle_s"])
        out.append(IntentDemand(
            intent=str(intent),
            mix=n / total if total > 0 else 0.0,
            automation_share=(float(r["verified_ai"]) + prior_strength * overall) / (n + prior_strength),
            escalation_share=(float(r["escalated"]) + prior_strength * overall_esc) / (n + prior_strength),
            human_aht_s=handled / direct if direct > 0 and handled > 0 else default_aht_s,
            escalated_aht_s=esc_handled / esc if esc > 0 and esc_handled > 0 else default_aht_s,
            contacts=n,
        ))  # fmt: skip
    return out


def apply_automation_delta(intents: list[IntentDemand], deltas: dict[str, float]) -> list[IntentDemand]:
    """What-if: automation of intent X resolves `delta` more (0.10 = 10 points), taken from direct human contacts."""
    known = {i.intent for i in intents}
    unknown = sorted(set(deltas) - known)
    if unknown:
        raise ValidationFailed(f"unknown intent(s) {unknown}; known: {sorted(known)}", field="automation_delta")
    out = []
    for i in intents:
        share = i.automation_share + deltas.get(i.intent, 0.0)
        if not 0.0 <= share <= 1.0 - i.escalation_share + 1e-12:
            raise ValidationFailed(
                f"intent {i.intent!r}: automation share {share:.0%} is impossible (current {i.automation_share:.0%}, "
                f"escalations {i.escalation_share:.0%}; shares must stay within 0..100% together)",
                field="automation_delta",
            )
        out.append(
            IntentDemand(i.intent, i.mix, share, i.escalation_share, i.human_aht_s, i.escalated_aht_s, i.contacts)
        )
    return out


def human_workload(total_contacts: np.ndarray, intents: list[IntentDemand]) -> tuple[np.ndarray, np.ndarray]:
    """Human contacts per interval and their mean handle time (s) from total demand and the intent mix.

    H = V sum_k m_k (1 - a_k); AHT_h = sum_k m_k (e_k AHT_esc_k + (1 - a_k - e_k) AHT_k) / sum_k m_k (1 - a_k).
    """
    if not intents:
        raise ValidationFailed("no intents: cannot split demand between AI and humans", field="intents")
    mix = np.array([i.mix for i in intents])
    mix = mix / mix.sum() if mix.sum() > 0 else np.full(mix.size, 1.0 / mix.size)
    auto = np.array([i.automation_share for i in intents])
    esc = np.array([i.escalation_share for i in intents])
    direct = np.clip(1.0 - auto - esc, 0.0, None)
    human_share = float(np.dot(mix, 1.0 - auto))
    work_per_contact = float(
        np.dot(mix, esc * [i.escalated_aht_s for i in intents] + direct * [i.human_aht_s for i in intents])
    )
    aht = work_per_contact / human_share if human_share > 0 else float(np.mean([i.human_aht_s for i in intents]))
    contacts = np.asarray(total_contacts, dtype=float) * human_share
    return contacts, np.full(contacts.shape, aht)
