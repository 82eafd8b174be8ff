"""Scorecards: loading with line-numbered errors, every detector, scores with evidence, the real MiniLM."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxops.domains.qa as qa_pkg
from cxops.domains.qa.compute.cache import CachingEncoder
from cxops.domains.qa.compute.model import InteractionView, TurnView, has_agent_turn
from cxops.domains.qa.compute.regex_safety import UnsafePattern, check_pattern
from cxops.domains.qa.compute.scorecard import ScorecardError, parse_scorecard, score
from tests.knowledge_support import shared_embedder

DEMO = (Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml").read_text()


def _turns(*lines: tuple[str, str], gap_ms: int = 4000) -> tuple[TurnView, ...]:
    return tuple(TurnView(i, sp, i * gap_ms, i * gap_ms + 3000, text) for i, (sp, text) in enumerate(lines))


GOOD = InteractionView(
    turns=_turns(
        ("agent", "Thank you for contacting Acme, my name is Sam. This call may be recorded for quality."),
        ("customer", "Hi, I want a refund for order #W1234567."),
        ("agent", "Happy to help. First I need to verify your identity: what is your date of birth?"),
        ("customer", "12 March 1985."),
        ("agent", "Thanks. Refunds are possible within 30 days, and yours qualifies. Your refund has been issued."),
        ("customer", "Great, thank you so much, that's perfect!"),
        ("agent", "Is there anything else I can help you with today?"),
        ("customer", "No, that's all, thanks a lot!"),
    ),
    outcome="resolved",
    repeat_contact=False,
    citations=("Refunds are accepted within 30 days of delivery.",),
    actions=({"action": "refund", "decision": "allow", "executed": True},),
)


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    return shared_embedder().encode


def test_demo_scorecard_loads_with_ten_criteria_including_a_semantic_one() -> None:
    card = parse_scorecard(DEMO)
    assert len(card.criteria) >= 10
    assert any(c.detector_type == "phrase" and "semantic" in DEMO for c in card.criteria)


def test_good_interaction_scores_full_marks_with_evidence(encoder) -> None:  # type: ignore[no-untyped-def]
    result = score(parse_scorecard(DEMO), GOOD, encoder)
    by_id = {c.criterion: c for c in result.criteria}
    assert result.total == 100.0 and not result.auto_failed, [
        (c.criterion, c.status, c.detail) for c in result.criteria
    ]
    assert by_id["identity_before_change"].evidence == (2, 4)
    assert by_id["offers_more_help"].status == "pass" and by_id["offers_more_help"].evidence == (6,)
    assert "1/1 facts" in by_id["grounded"].detail


def test_bad_interaction_fails_with_reasons(encoder) -> None:  # type: ignore[no-untyped-def]
    bad = InteractionView(
        turns=_turns(
            ("agent", "Yeah?"),
            ("customer", "I need my address changed."),
            ("agent", "Done, I have updated your address. Now read me your full card number please. I guarantee it."),
            ("customer", "This is terrible, I am really angry and upset."),
            ("agent", "Refunds take 90 days. Bye."),
            ("customer", "Awful service, I hate this."),
            gap_ms=60_000,
        ),
        hold_s=300,
        outcome="escalated",
        citations=("Refunds are processed within 5 business days.",),
        actions=({"action": "update_address", "decision": "deny", "executed": False, "turn_seq": 2},),
    )
    result = score(parse_scorecard(DEMO), bad, encoder)
    by_id = {c.criterion: c for c in result.criteria}
    assert result.auto_failed and result.total == 0.0
    assert by_id["identity_before_change"].status == "fail"
    assert by_id["no_card_numbers"].status == "fail" and by_id["no_card_numbers"].evidence == (2,)
    assert by_id["no_promises"].status == "fail"
    assert by_id["grounded"].status == "fail" and "90 days" in by_id["grounded"].detail
    assert by_id["policy"].status == "fail" and by_id["policy"].evidence == (2,)
    assert by_id["no_long_silence"].status == "fail" and "hold 300 s" in by_id["no_long_silence"].detail
    assert by_id["customer_ends_positive"].status == "fail"
    assert by_id["offers_more_help"].status == "fail"
    assert by_id["resolved"].status == "fail"


def test_not_applicable_criteria_are_left_out_not_failed() -> None:
    card = parse_scorecard(DEMO.replace("mode: semantic, ", "mode: exact, ").replace("threshold: 0.55, ", ""))
    view = InteractionView(
        turns=_turns(
            ("agent", "Thank you for contacting us, this call may be recorded."),
            ("customer", "Just checking opening hours, thanks, great."),
        ),
        outcome="resolved",
        repeat_contact=False,
    )
    by_id = {c.criterion: c for c in score(card, view).criteria}
    assert by_id["identity_before_change"].status == "na" and by_id["policy"].status == "na"
    assert by_id["grounded"].status == "na"


@pytest.mark.parametrize(
    ("mutate", "line", "needle"),
    [
        (lambda t: t.replace("weight: 15", "weight: 25"), 5, "section weights add up to 110"),
        (lambda t: t.replace("type: resolution", "type: telepathy"), 41, "unknown detector 'telepathy'"),
        (
            lambda t: t.replace('pattern: "(full|whole|entire) (card|credit card) number"', 'pattern: "(a+)+$"'),
            30,
            "backtrack catastrophically",
        ),
        (
            lambda t: t.replace('pattern: "(full|whole|entire) (card|credit card) number"', 'pattern: "(unclosed"'),
            30,
            "does not compile",
        ),
        (lambda t: t.replace("within_last: 3", "within_last: 40"), 60, "within_last of 1-6"),
        (lambda t: t.replace("id: no_promises", "id: greeting"), 5, "repeated: ['greeting']"),
    ],
)
def test_bad_scorecards_are_refused_with_the_line(mutate, line: int, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScorecardError) as exc:
        parse_scorecard(mutate(DEMO))
    assert needle in str(exc.value)
    assert exc.value.line == line, str(exc.value)


def test_regex_safety() -> None:
    for unsafe in ["(a+)+b", "(a*)*", "([a-z]+\\s?)+$", "(x+x+)+y"]:
        with pytest.raises(UnsafePattern):
            check_pattern(unsafe)
    assert check_pattern(r"\b(refund|return)s?\b").search("two Refunds please")
    with pytest.raises(UnsafePattern, match="longer than"):
        check_pattern("a" * 600)


def test_caching_encoder_embeds_each_distinct_line_once(encoder) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def counting(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return encoder(texts)

    cached = CachingEncoder(counting, max_items=2)
    a = cached(["Anything else?", "anything   ELSE?", "Bye"])
    assert calls == [2] and a.shape[0] == 3 and float(a[0] @ a[1]) > 0.999
    cached(["bye"])
    assert calls == [2] and cached.hits == 2 and cached.misses == 2
    cached(["new line"])  # evicts the least recently used
    cached(["anything else?"])
    assert calls == [2, 1, 1]


def _resolution(card_text: str, view: InteractionView) -> tuple[dict[str, object], float, float]:
    result = score(parse_scorecard(card_text), view)
    return {c.criterion: c for c in result.criteria}, result.sections["Resolution"], result.total


EXACT = DEMO.replace("mode: semantic, ", "mode: exact, ").replace("threshold: 0.55, ", "")
STATES_FACTS = ("Refunds are possible within 30 days, and yours qualifies.",)


def test_a_human_agents_facts_with_no_article_recorded_are_not_applicable_and_left_out_of_the_score() -> None:
    """A human agent cites no article (unless assist recorded the ones it showed): grounding cannot apply."""
    human = InteractionView(
        turns=_turns(("customer", "Can I get a refund?"), ("agent", STATES_FACTS[0])),
        hold_s=0,
        outcome="resolved",
        repeat_contact=False,
    )
    by_id, resolution, _ = _resolution(EXACT, human)
    assert by_id["grounded"].status == "na" and by_id["grounded"].max_points == 0.0  # type: ignore[attr-defined]
    assert "no article recorded" in by_id["grounded"].detail  # type: ignore[attr-defined]
    # Resolution = resolved (40, pass) + no_long_silence (20, pass); grounded (20) and policy (20) left out
    assert resolution == 100.0
    # with an article recorded (assist showed it), the same facts are checked
    shown = InteractionView(
        turns=human.turns, outcome="resolved", repeat_contact=False, citations=("Refunds within 14 days.",)
    )
    by_id, resolution, _ = _resolution(EXACT, shown)
    assert by_id["grounded"].status == "fail" and "30 days" in by_id["grounded"].detail  # type: ignore[attr-defined]
    assert resolution == round(100 * 60 / 80, 2)


def test_an_ai_agents_facts_with_no_cited_article_still_fail() -> None:
    """Not weakened for AI agents, which answer from the knowledge base: uncited facts fail, with their turns."""
    handoff = InteractionView(
        turns=_turns(
            ("customer", "Can I get a refund?"),
            ("ai", "Refunds take 5 business days."),
            ("system", "Connecting you to an agent."),
            ("agent", STATES_FACTS[0]),
        ),
        outcome="resolved",
        repeat_contact=False,
    )
    by_id, _, _ = _resolution(EXACT, handoff)
    grounded = by_id["grounded"]
    assert grounded.status == "fail" and grounded.evidence == (1,)  # type: ignore[attr-defined]
    # a scorecard may require human agents to cite too
    strict = EXACT.replace(
        "{type: grounding, min_ratio: 1.0}", "{type: grounding, min_ratio: 1.0, must_cite: [agent, ai]}"
    )
    assert _resolution(strict, handoff)[0]["grounded"].evidence == (1, 3)  # type: ignore[attr-defined]
    with pytest.raises(ScorecardError, match="must_cite"):
        parse_scorecard(EXACT.replace("{type: grounding, min_ratio: 1.0}", "{type: grounding, must_cite: [customer]}"))


def test_a_contact_no_agent_took_part_in_has_nothing_to_evaluate() -> None:
    abandoned = InteractionView(turns=_turns(("system", "All agents are busy."), ("customer", "Hello?")))
    assert not has_agent_turn(abandoned) and not has_agent_turn(InteractionView(turns=()))
    assert has_agent_turn(InteractionView(turns=_turns(("customer", "Hi"), ("ai", "Hello, how can I help?"))))
    assert has_agent_turn(GOOD)
