"""The metric catalogue: names, formulas (as ratios of additive sums), dimensions and time grains.

Every metric is a ratio (or a plain sum) of per-contact additive columns, so sums computed at a fine grain
can be re-aggregated to any coarser one without error (the overview computes one grouping and rolls it up).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Slicing dimensions; region -> location -> team -> agent is the drill-down hierarchy.
DIMENSIONS: tuple[str, ...] = ("region", "location", "team", "agent", "agent_kind", "queue", "channel", "intent")
HIERARCHY: tuple[str, ...] = ("region", "location", "team", "agent")
#: Time grains and their bucket width in seconds (0: no time bucketing).
GRAINS: dict[str, int] = {"15min": 900, "30min": 1800, "hour": 3600, "day": 86_400, "week": 604_800, "none": 0}
#: The longest range each grain may be asked for (bounded result size).
GRAIN_MAX_DAYS: dict[str, int] = {"15min": 31, "30min": 62, "hour": 92, "day": 400, "week": 400, "none": 400}


@dataclass(frozen=True, slots=True)
class Metric:
    """A metric as numerator / denominator of additive sums (denominator None: a plain sum)."""

    name: str
    numerator: str
    denominator: str | None
    unit: str
    definition: str


_M = Metric
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        _M("volume", "n", None, "contacts", "contacts that started in the range"),
        _M("handled", "handled", None, "contacts", "contacts not abandoned"),
        _M("abandoned", "abandoned", None, "contacts", "contacts with outcome 'abandoned'"),
        _M("abandon_rate", "abandoned", "n", "ratio", "abandoned / volume"),
        _M(
            "service_level",
            "sl_met",
            "wait_known",
            "ratio",
            "contacts answered within the queue's threshold (directory_queue.sl_threshold_s, default 20 s) / "
            "contacts offered with a known wait (answered or abandoned); wait read from attributes.wait_s",
        ),
        _M("asa_s", "wait_sum", "answered_known", "seconds", "mean attributes.wait_s of answered contacts"),
        _M("aht_s", "handle_s", "handled", "seconds", "mean talk + hold + wrap of handled contacts"),
        _M("talk_s", "talk_sum", "handled", "seconds", "mean talk time of handled contacts"),
        _M("hold_s", "hold_sum", "handled", "seconds", "mean hold time of handled contacts"),
        _M("wrap_s", "wrap_sum", "handled", "seconds", "mean after-contact work of handled contacts"),
        _M(
            "fcr_rate",
            "fcr_num",
            "fcr_den",
            "ratio",
            "handled contacts of a known customer resolved with no contact from the same customer on the same "
            "intent within N days / such contacts whose N-day window has closed by the data horizon (younger "
            "ones are pending, repeated or not)",
        ),
        _M(
            "repeat_rate",
            "rep_num",
            "rep_den",
            "ratio",
            "contacts followed by another from the same customer on the same intent within N days / contacts of "
            "known customers whose N-day window has closed by the data horizon (younger ones are pending, "
            "repeated or not)",
        ),
        _M("transfer_rate", "transferred", "n", "ratio", "outcome 'transferred' / volume"),
        _M("escalation_rate", "escalated", "n", "ratio", "outcome 'escalated' / volume"),
        _M("handoff_rate", "handed_off", "ai", "ratio", "AI contacts handed to a human / AI contacts"),
        _M("ai_share", "ai", "n", "ratio", "contacts an AI agent took part in / volume"),
        _M("ai_contacts", "ai", None, "contacts", "contacts an AI agent took part in"),
        _M(
            "containment_rate",
            "contained",
            "ai",
            "ratio",
            "AI contacts that ended without a human, transfer, escalation or abandonment / AI contacts",
        ),
        _M(
            "containment_rate_closed",
            "contained_closed",
            "var_den",
            "ratio",
            "AI contacts contained / AI contacts whose N-day window has closed by the data horizon: containment "
            "over the population of verified_automation_rate, which therefore never exceeds it (containment_rate "
            "counts every AI contact in range, pending ones included, so the two are not comparable)",
        ),
        _M(
            "verified_automation_rate",
            "var_num",
            "var_den",
            "ratio",
            "AI contacts contained and resolved, of a known customer, with no repeat on the same intent within "
            "N days / AI contacts whose N-day window has closed by the data horizon; AI contacts of the last N "
            "days are pending (not counted either way, whether they have repeated yet or not)",
        ),
        _M(
            "pending_verification",
            "ai_pending",
            None,
            "contacts",
            "AI contacts still inside their N-day window (started less than N days before the data horizon)",
        ),
        _M("csat", "csat_sum", "csat_n", "score 1-5", "mean CSAT of answered surveys"),
        _M("survey_response_rate", "survey", "handled", "ratio", "answered surveys / handled contacts"),
        _M(
            "sentiment_shift",
            "sent_sum",
            "sent_n",
            "sentiment points",
            "mean (last - first) customer-turn sentiment, over contacts with both",
        ),
        _M(
            "cost_per_contact",
            "cost",
            "n",
            "currency",
            "(human handle minutes x cost per human minute + AI contacts x cost per AI interaction) / volume",
        ),
        _M("total_cost", "cost", None, "currency", "human handle minutes x cost per minute + AI contacts x cost"),
        _M("qa_score", "qa_sum", "qa_n", "score 0-100", "mean QA evaluation score (QA source port)"),
        _M("trust_index", "trust_sum", "trust_n", "score 0-100", "mean trust index (trust source port)"),
    )
}
#: Metrics read from another domain through a port; "not available" when the port is unbound.
PORT_METRICS: dict[str, str] = {"qa_score": "qa", "trust_index": "trust"}
DEFAULT_METRICS: tuple[str, ...] = (
    "volume",
    "aht_s",
    "service_level",
    "abandon_rate",
    "fcr_rate",
    "repeat_rate",
    "containment_rate",
    "verified_automation_rate",
    "csat",
    "cost_per_contact",
)
