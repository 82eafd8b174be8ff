"""Readiness scoring and trajectory diagnosis."""

from __future__ import annotations

import pytest

from cxops.domains.workflows.compute.readiness import Pillar, Step, assess


def _pillars(k: float, p: float, i: float, g: float, t: float, w: float) -> list[Pillar]:
    return [
        Pillar("knowledge", k, steps=[Step("fix kb", "knowledge", 30)]),
        Pillar("process", p),
        Pillar("integration", i, steps=[Step("connect refunds", "integration", 40)]),
        Pillar("governance", g, steps=[Step("policies", "governance", 10)]),
        Pillar("trust", t),
        Pillar("workforce", w, steps=[Step("plan", "workforce", 50), Step("tiny", "process", 1)]),
    ]


def test_overall_is_the_weighted_mean_and_steps_rank_by_overall_gain() -> None:
    a = assess(_pillars(50, 50, 50, 50, 50, 50))
    assert a.overall == 50.0
    assert [s.action for s in a.next_steps] == ["connect refunds", "fix kb", "plan"]
    assert a.next_steps[0].overall_gain == 8.0  # 40 points x 20% weight


@pytest.mark.parametrize(
    ("scores", "kwargs", "trajectory"),
    [
        ((80, 70, 75, 80, 70, 60), {}, "autonomous enterprise"),
        ((55, 70, 45, 65, 70, 60), {}, "managed intelligence"),
        ((40, 70, 30, 40, 70, 60), {}, "automation plateau"),
        ((80, 70, 75, 80, 30, 60), {}, "trust collapse"),
        ((80, 70, 75, 80, 70, 60), {"trust_falling": True, "automation_rising": True}, "trust collapse"),
    ],
)
def test_trajectories(scores: tuple[float, ...], kwargs: dict, trajectory: str) -> None:
    a = assess(_pillars(*scores), **kwargs)
    assert a.trajectory == trajectory and a.trajectory_evidence


def test_unmeasured_pillars_are_left_out_of_the_overall_and_missing_ones_are_an_error() -> None:
    ps = _pillars(100, 50, 100, 100, 100, 100)
    ps[1] = Pillar("process", None, ["no data"])
    a = assess(ps)
    assert (a.overall, a.measured_weight, a.unmeasured) == (100.0, 85.0, ["process"])
    ps[0] = Pillar("knowledge", 0.0, ["no knowledge source"])  # measured as absent: a 0 that counts
    assert assess(ps).overall == round((0 * 20 + 100 * 65) / 85, 1)
    with pytest.raises(ValueError, match="missing pillars"):
        assess(ps[:3])


def test_next_step_gains_are_on_the_scale_of_the_overall() -> None:
    """Doing a step moves the overall by its expected gain, measured pillars or not."""
    ps = _pillars(50, 100, 100, 100, 100, 100)
    ps[0].steps = [Step("Sync a knowledge source", "knowledge", 50.0)]
    ps[4] = Pillar("trust", None, ["no automated experiences recorded yet"])
    before = assess(ps)
    gain = before.next_steps[0].overall_gain
    ps[0] = Pillar("knowledge", 100.0)
    assert assess(ps).overall == round(before.overall + gain, 1)


def test_unmeasured_trust_is_no_evidence_of_a_collapse() -> None:
    ps = _pillars(80, 70, 75, 80, 0, 60)
    ps[4] = Pillar("trust", None, ["no automated experiences recorded yet"])
    a = assess(ps)
    assert a.trajectory == "managed intelligence"  # not "trust collapse", and not "autonomous" without evidence
    assert any("trust not measured" in e for e in a.trajectory_evidence)
    assert a.overall == round((80 * 20 + 70 * 15 + 75 * 20 + 80 * 20 + 60 * 10) / 85, 1)  # left out, not a 0
    assert a.unmeasured == ["trust"]
    assert assess(ps, trust_falling=True, automation_rising=True).trajectory == "trust collapse"
