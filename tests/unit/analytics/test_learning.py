"""Topic discovery on real customer utterances (BANKING77), emerging-topic alerts and the opportunity map."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cxops.domains.analytics.compute.opportunity import ADVICE_RULES, opportunity_map
from cxops.domains.analytics.compute.topics import DAY_S, discover, emerging
from tests.conftest import SHARED_DATA

INTENTS = ("card_arrival", "exchange_rate", "lost_or_stolen_phone", "pin_blocked", "top_up_failed")


def banking_sample() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with (SHARED_DATA / "banking77" / "test.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["category"] in INTENTS:
                texts.append(row["text"])
                labels.append(row["category"])
    return texts, labels


def purity(assignments: np.ndarray, labels: list[str]) -> float:
    """Share of documents whose topic's majority intent is their own intent."""
    total = 0
    for topic in np.unique(assignments):
        members = [labels[i] for i in np.flatnonzero(assignments == topic)]
        total += Counter(members).most_common(1)[0][1]
    return total / len(labels)


def test_topics_recover_banking_intents_far_above_chance() -> None:
    texts, labels = banking_sample()
    assert len(texts) == 200
    found = discover(texts, k=5)
    assert sum(t["size"] for t in found.topics) == len(texts)
    # five balanced intents: a random split scores about 0.2 purity
    assert purity(found.assignments, labels) > 0.6
    all_terms = " ".join(" ".join(t["terms"]) for t in found.topics)
    assert "card" in all_terms and ("pin" in all_terms or "phone" in all_terms)
    assert all(t["label"] for t in found.topics)


def test_too_few_documents_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 20"):
        discover(["hello"] * 5)


def test_emerging_topic_is_flagged_when_volume_rises() -> None:
    as_of = 100 * DAY_S
    times = [as_of - d * DAY_S for d in range(8, 36)]  # topic 0: one a day in the baseline
    times += [as_of - 0.5 * DAY_S] * 2  # ...and two recently (flat)
    assign = [0] * 30
    times += [as_of - 0.2 * DAY_S - i for i in range(12)]  # topic 1: twelve in the last day, none before
    assign += [1] * 12
    out = emerging(times, np.array(assign), as_of=as_of)
    assert out[1]["emerging"] and out[1]["recent"] == 12 and out[1]["baseline"] == 0
    assert not out[0]["emerging"] and out[0]["baseline"] == 28 and out[0]["expected_recent"] == 7.0


def test_opportunity_map_scores_and_advises() -> None:
    rows = [
        {"intent": "refund", "volume": 1000, "ai_share": 0.3, "ai_contacts": 300, "verified_automation_rate": 0.8},
        {"intent": "fraud", "volume": 200, "ai_share": 0.5, "ai_contacts": 100, "verified_automation_rate": 0.2},
        {"intent": "address", "volume": 300, "ai_share": 0.0, "ai_contacts": 0, "verified_automation_rate": None},
        {"intent": "rare", "volume": 10, "ai_share": 0.5, "ai_contacts": 5, "verified_automation_rate": 1.0},
    ]
    out = opportunity_map(rows, knowledge={"refund": 0.5, "fraud": 1.0, "address": 0.0}, policy=None)
    by = {r["intent"]: r for r in out}
    assert by["refund"]["opportunity"] == 1000 * 0.8 * 0.5
    assert by["refund"]["headroom"] == 700 * 0.8
    assert by["refund"]["recommendation"].startswith("expand")
    assert by["fraud"]["recommendation"].startswith("pull back")
    assert by["address"]["opportunity"] is None and by["address"]["knowledge_coverage"] == 0.0
    assert by["address"]["recommendation"].startswith("prepare")
    assert by["rare"]["recommendation"].startswith("gather evidence")
    # no evidence for "rare" (no customer question sampled): left out of the product, listed as missing
    assert by["rare"]["knowledge_coverage"] is None and by["rare"]["opportunity"] == 10 * 1.0
    assert by["rare"]["missing"] == ["knowledge_coverage", "policy_coverage"]
    assert all(r["missing"] == ["policy_coverage"] for r in out if r["intent"] != "rare")
    assert out[0]["intent"] == "refund"


def test_a_sample_cut_short_makes_no_topic_emerge() -> None:
    """The newest contacts only (two days of them): the baseline before the last week is unobserved, not empty.
    Counting it as zero flagged every topic as emerging (growth = recent + 1)."""
    as_of = 100 * DAY_S
    rng = np.random.default_rng(3)
    times = as_of - rng.uniform(0, 2 * DAY_S, 300)  # a steady flow, sampled over its last two days only
    assign = rng.integers(0, 3, 300)
    cut = emerging(times, assign, as_of=as_of, observed_from=float(times.min()))
    assert all(not t["emerging"] and t["growth"] is None for t in cut.values())
    assert all(t["baseline_days"] == 0 for t in cut.values())
    unknown = emerging(times, assign, as_of=as_of)  # the same sample taken for a complete one
    assert all(t["emerging"] for t in unknown.values())


def test_a_partly_observed_baseline_is_scaled_to_its_length() -> None:
    """A steady topic (four a day) observed for 14 of the 28 baseline days: expected recent = 28, not 14."""
    as_of = 100 * DAY_S
    times = [as_of - (i + 0.5) * DAY_S / 4 for i in range(4 * 21)]  # four a day over the last 21 days
    assign = np.zeros(len(times), dtype=int)
    out = emerging(times, assign, as_of=as_of, observed_from=as_of - 21 * DAY_S)[0]
    assert out["recent"] == 28 and out["baseline"] == 56 and out["baseline_days"] == 14
    assert out["expected_recent"] == 28 and out["growth"] == 1.0 and not out["emerging"]
    short = emerging(times, assign, as_of=as_of, observed_from=as_of - 12 * DAY_S)[0]
    assert short["growth"] is None and not short["emerging"]  # 5 baseline days: under the 7 needed


def test_opportunity_advice_counts_only_verified_ai_evidence() -> None:
    """An intent whose AI contacts are mostly still inside their repeat window has little evidence yet."""
    young = {"intent": "refund", "volume": 500, "ai_share": 0.5, "ai_contacts": 250, "verified_automation_rate": 0.9}
    out = opportunity_map([{**young, "pending_verification": 240}], knowledge=None, policy=None)[0]
    assert out["recommendation"].startswith("gather evidence")
    out = opportunity_map([{**young, "pending_verification": 30}], knowledge=None, policy=None)[0]
    assert out["recommendation"].startswith("expand")


# --- The advice decision table -----------------------------------------------------------------------------------

JUDGED = {"volume": 1000, "ai_share": 0.3, "ai_contacts": 300, "pending_verification": 50}


def _advice(row, knowledge=None, policy=None):  # type: ignore[no-untyped-def]
    row = {"intent": "x", **row}
    kc = None if knowledge is None else {"x": knowledge}
    out = opportunity_map([row], knowledge=kc, policy=None if policy is None else {"x": policy})[0]
    assert out["recommendation"] == f"{out['advice']}: {out['advice_reason']}"
    assert ADVICE_RULES[out["advice_rule"] - 1]["advice"] == out["advice"]  # the rule it names gives that advice
    return out


def test_no_policy_blocks_expansion_the_update_address_case() -> None:
    """update_address: verified 82 %, but policy coverage 0 % (opportunity 0) read "expand"."""
    out = opportunity_map(
        [{"intent": "update_address", **JUDGED, "verified_automation_rate": 0.82}],
        knowledge={"update_address": 1.0},
        policy={"update_address": 0.0},
    )[0]
    assert out["opportunity"] == 0.0
    assert (out["advice"], out["advice_rule"]) == ("govern first", 6)
    assert "no policy pack has a rule of its own for the actions proposed" in out["advice_reason"]
    partly = _advice({**JUDGED, "verified_automation_rate": 0.82}, knowledge=1.0, policy=0.3)
    assert partly["advice"] == "govern first" and "only 30% of the action steps" in partly["advice_reason"]


def test_each_rule_of_the_decision_table() -> None:
    cases = [
        ({"volume": 12, "ai_share": 0.0, "ai_contacts": 0, "verified_automation_rate": None}, 1.0, 1.0, 1),
        ({"volume": 400, "ai_share": 0.0, "ai_contacts": 0, "verified_automation_rate": None}, 0.2, 1.0, 2),
        ({"volume": 400, "ai_share": 0.0, "ai_contacts": 0, "verified_automation_rate": None}, 1.0, 0.0, 2),
        ({"volume": 400, "ai_share": 0.0, "ai_contacts": 0, "verified_automation_rate": None}, 0.9, 0.9, 3),
        ({**JUDGED, "pending_verification": 290, "verified_automation_rate": 0.9}, 1.0, 1.0, 4),
        ({**JUDGED, "verified_automation_rate": 0.3}, 0.1, 0.0, 5),
        ({**JUDGED, "verified_automation_rate": 0.9}, 0.1, 0.4, 6),  # both short: policy named first
        ({**JUDGED, "verified_automation_rate": 0.9}, 0.4, 0.5, 7),
        ({**JUDGED, "verified_automation_rate": 0.7}, 0.5, 0.5, 8),  # thresholds are inclusive
        ({**JUDGED, "ai_share": 0.97, "verified_automation_rate": 0.9}, 1.0, 1.0, 9),
        ({**JUDGED, "verified_automation_rate": 0.6}, 1.0, 1.0, 9),
    ]
    for row, kc, pc, rule in cases:
        out = _advice(row, knowledge=kc, policy=pc)
        assert out["advice_rule"] == rule, (row, kc, pc, out["recommendation"])
    assert [r["rule"] for r in ADVICE_RULES] == list(range(1, 10))


def test_advice_reasons_quote_the_figures() -> None:
    pull = _advice({**JUDGED, "verified_automation_rate": 0.3}, knowledge=0.1, policy=0.0)
    assert "only 30%" in pull["advice_reason"] and "no policy pack" in pull["advice_reason"]
    assert "knowledge search answers only 10%" in pull["advice_reason"]
    doc = _advice({**JUDGED, "verified_automation_rate": 0.9}, knowledge=0.25, policy=1.0)
    assert doc["advice"] == "document first" and "only 25% of its sampled customer questions" in doc["advice_reason"]
    few = _advice({**JUDGED, "pending_verification": 290, "verified_automation_rate": 0.9})
    assert "only 10 AI contacts have a closed repeat window (need 20)" in few["advice_reason"]
    tiny = _advice({"volume": 12, "ai_share": 0.0, "ai_contacts": 0, "verified_automation_rate": None})
    assert tiny["advice"] == "leave as is" and "only 12 contacts" in tiny["advice_reason"]


def test_an_unknown_coverage_blocks_nothing_but_is_said() -> None:
    out = _advice({**JUDGED, "verified_automation_rate": 0.9}, knowledge=0.8)
    assert out["advice"] == "expand" and out["advice_reason"].endswith("(policy coverage not known)")
    assert out["missing"] == ["policy_coverage"]


def test_the_documented_table_is_the_code() -> None:
    """docs/analytics.md lists the same rules, in the same order, with the same advice."""
    doc = (Path(__file__).parents[3] / "docs" / "analytics.md").read_text(encoding="utf-8")
    table = re.findall(r"^\s*\| (\d) \| .+ \| ([a-z ]+?)(?: \(.*\))? \|$", doc, flags=re.MULTILINE)
    assert [(int(n), advice) for n, advice in table] == [(r["rule"], r["advice"]) for r in ADVICE_RULES]
