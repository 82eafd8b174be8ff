"""The demo seeds for quality, workforce management and pilots on a small generated demo: each drives its domain
(scorecard, evaluations, calibration and disputes; forecasts, staffing and a schedule; a running pilot with a look),
a second call adds nothing, and the console's data sources (the API lists) are not empty."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys
from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.domains.assist.doc_models import AssistDocumentation
from cxops.domains.directory.public import Queue
from cxops.domains.interactions.public import Interaction
from cxops.domains.pilots.models import Pilot, PilotLook
from cxops.domains.qa import insight
from cxops.domains.qa import service as qa_service
from cxops.domains.qa.models import QaDispute, QaEvaluation, QaHumanEvaluation, QaScorecard
from cxops.domains.wfm import service as wfm_service
from cxops.domains.wfm.models import ForecastPoint, ForecastRun, Schedule, Shift, StaffingInterval, StaffingPlan
from cxops.entrypoints.demo import load_demo
from cxops.entrypoints.demo_seeds import documentation, pilots, qa, wfm
from cxops.integrations.demo import DemoConfig, Generator
from tests.conftest import auth, drain_events, make_org_keys

END = date(2026, 2, 10)  # a Tuesday
NOW = datetime(2026, 2, 10, 18, 0, tzinfo=UTC)
CONFIG = DemoConfig(seed=4, days=14, volume=60, end=END)
MODELS = (QaScorecard, QaEvaluation, QaHumanEvaluation, QaDispute, ForecastRun, ForecastPoint, StaffingPlan,
          StaffingInterval, Schedule, Shift, Pilot, PilotLook)  # fmt: skip


@pytest.fixture
def demo(session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> uuid.UUID:
    """A small demo (14 days, about 60 contacts a day) in organisation 'default'; WFM's clock at NOW."""
    monkeypatch.setattr(wfm_service, "utcnow", lambda: NOW)
    with unit_of_work(session_factory) as s:
        org_id = keys.ensure_organisation(s, slug="default").id
    gen = Generator(CONFIG)
    summary = load_demo(session_factory, org_id=org_id, spec=gen.directory(), days=gen.days())
    assert summary.interactions_created > 700 and summary.interactions_failed == 0
    return org_id


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(factory) as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) or 0 for m in MODELS}


def _seed(module: Any, factory: sessionmaker[Session], org_id: uuid.UUID, settings: Settings) -> str:
    return str(module.seed(factory, org_id=org_id, settings=settings, now=NOW))


def test_seeds_fill_quality_workforce_and_pilots_once(
    demo: uuid.UUID, session_factory: sessionmaker[Session], settings: Settings, app: Any
) -> None:
    org_id = demo
    first = {m.__name__: _seed(m, session_factory, org_id, settings) for m in (qa, wfm, pilots)}
    for text in first.values():
        assert "nothing added" not in text and "\n" not in text
    counts = _counts(session_factory)
    with unit_of_work(session_factory) as s:
        _check_qa(s, org_id, first["cxops.entrypoints.demo_seeds.qa"])
        _check_wfm(s, org_id)
        _check_pilot(s, org_id)

    again = {m.__name__: _seed(m, session_factory, org_id, settings) for m in (qa, wfm, pilots)}
    assert all(text.endswith("nothing added") for text in again.values()), again
    assert _counts(session_factory) == counts

    # What the console reads, through the API.
    with TestClient(app) as client:
        admin = auth(make_org_keys(session_factory, "default")["admin"])
        for path in ("/v1/qa/scorecards", "/v1/qa/evaluations", "/v1/qa/disputes", "/v1/wfm/forecasts",
                     "/v1/wfm/staffing", "/v1/wfm/schedules", "/v1/pilots"):  # fmt: skip
            r = client.get(path, headers=admin)
            assert r.status_code == 200 and r.json(), path
        calibration = client.get("/v1/qa/calibration", headers=admin).json()["criteria"]
        assert any(c["kappa"] is not None for c in calibration)
        pilot = client.get("/v1/pilots", headers=admin).json()[0]
        assert pilot["status"] == "running" and pilot["decision"] is not None
        assert client.get(f"/v1/pilots/{pilot['id']}/looks", headers=admin).json()
        # Serving delivers the pending events: the whole history is scored, and the seeded disputes stay.
        drain_events(app)
        assert len(client.get("/v1/qa/disputes", headers=admin).json()) == counts["QaDispute"]
    with unit_of_work(session_factory) as s:
        assert (s.scalar(select(func.count()).select_from(QaEvaluation)) or 0) > counts["QaEvaluation"]


def test_documentation_seed_documents_the_recent_calls_once(
    demo: uuid.UUID, session_factory: sessionmaker[Session], settings: Settings, app: Any
) -> None:
    """The newest calls, the ones a visitor opens first, are documented before serving; older ones are left to the
    event backlog; a second call adds nothing."""
    first = _seed(documentation, session_factory, demo, settings)
    since = NOW - timedelta(days=documentation.DOC_DAYS)
    with unit_of_work(session_factory) as s:
        ended = dict(
            s.execute(
                select(Interaction.id, Interaction.started_at).where(
                    Interaction.org_id == demo, Interaction.ended_at.is_not(None), Interaction.started_at < NOW
                )
            ).all()
        )
        documented = {d.interaction_id: d for d in s.scalars(select(AssistDocumentation))}
        stored = {i: doc for i, doc in s.execute(select(Interaction.id, Interaction.documentation))}
    recent = {i for i, at in ended.items() if at >= since}
    assert len(recent) > 50 and set(documented) == recent  # exactly the window: nothing older, nothing missing
    assert f"{len(recent):,} interactions of the last {documentation.SPAN} documented" in first
    assert all(d.document["summary"]["text"] and stored[i] == d.document for i, d in documented.items())
    again = _seed(documentation, session_factory, demo, settings)
    assert again.endswith("nothing added"), again
    with unit_of_work(session_factory) as s:
        assert (s.scalar(select(func.count()).select_from(AssistDocumentation)) or 0) == len(recent)
    with TestClient(app) as client:
        admin = auth(make_org_keys(session_factory, "default")["admin"])
        newest = client.get("/v1/documentation?limit=1", headers=admin).json()["items"][0]
        assert ended[uuid.UUID(newest["interaction_id"])] == max(ended[i] for i in recent)


def _check_qa(s: Session, org_id: uuid.UUID, summary: str) -> None:
    [card] = qa_service.active_scorecards(s, org_id)
    assert card.name == "Customer care standard" and card.version == 1 and f"'{card.name}' v1 published" in summary
    evs = list(s.scalars(select(QaEvaluation).where(QaEvaluation.org_id == org_id)))
    assert len(evs) > 100 and all(0 <= e.total <= 100 for e in evs)  # two days of ~60 contacts a day
    assert len({e.agent_id for e in evs}) > 20 and any(e.agent_kind == "ai" for e in evs)
    assert all(e.criteria and e.scorecard_id == card.id for e in evs)
    humans = list(s.scalars(select(QaHumanEvaluation).where(QaHumanEvaluation.org_id == org_id)))
    assert len({h.interaction_id for h in humans}) == qa.HUMAN_SAMPLE
    report = {r["criterion"]: r for r in insight.calibration_report(s, org_id=org_id)}
    assert report["greeting"]["pairs"] >= 30 and report["greeting"]["percent_agreement"] > 0.8
    disputes = list(s.scalars(select(QaDispute).where(QaDispute.org_id == org_id)))
    assert len(disputes) == 3 and sorted(d.status for d in disputes) == ["open", "open", "rejected"]
    coach = insight.coaching(s, org_id=org_id, agent_id=next(e.agent_id for e in evs if e.agent_kind == "human"))
    assert coach["evaluations"] >= 1 and coach["weakest"]


def _check_wfm(s: Session, org_id: uuid.UUID) -> None:
    runs = {r.metric: r for r in s.scalars(select(ForecastRun).where(ForecastRun.org_id == org_id))}
    # A day of this small demo has too few voice calls per half hour for a handle-time forecast (the full demo has
    # them); staffing then takes the handle time from history.
    assert "volume" in runs and set(runs) <= {"volume", "aht"}
    assert set(runs["volume"].choices) == set(wfm.VOICE_QUEUES)
    points = list(s.scalars(select(ForecastPoint).where(ForecastPoint.run_id == runs["volume"].id)))
    assert len(points) == runs["volume"].horizon * len(wfm.VOICE_QUEUES)
    assert all(p.yhat >= 0 and p.lo_95 <= p.yhat <= p.hi_95 for p in points)
    assert min(p.ts for p in points).date() == date(2026, 2, 11)
    [plan] = s.scalars(select(StaffingPlan).where(StaffingPlan.org_id == org_id))
    assert plan.forecast_run_id == runs["volume"].id and plan.params["targets"]["shrinkage"] == 0.3
    assert plan.params["aht_run_id"] == (str(runs["aht"].id) if "aht" in runs else None)
    # Each voice queue is staffed to its own directory target; each series says which it used and where from.
    queues = {q.code: q for q in s.scalars(select(Queue).where(Queue.org_id == org_id))}
    for sid in wfm.VOICE_QUEUES:
        used, queue = plan.summary[sid]["targets"], queues[sid]
        assert (used["service_level"], used["threshold_s"], used["method"]) == (
            queue.sl_target_pct / 100,
            queue.sl_threshold_s,
            "erlang_c",
        )
        assert used["source"] == {"service_level": "directory", "threshold_s": "directory"}
        assert f"from the directory queue '{sid}'" in plan.summary[sid]["notes"][0]
    intervals = list(s.scalars(select(StaffingInterval).where(StaffingInterval.plan_id == plan.id)))
    assert len(intervals) == len(points) and all(60 < i.aht_s < 1800 for i in intervals)
    assert max(i.scheduled_agents for i in intervals) >= 1 and min(i.raw_agents for i in intervals) >= 0
    assert all(i.scheduled_agents >= i.raw_agents for i in intervals)
    [sched] = s.scalars(select(Schedule).where(Schedule.org_id == org_id))
    assert sched.week_start.date() == date(2026, 2, 16) and sched.plan_id == plan.id
    assert sched.cost > 0 and sched.gap_ratio < 0.2
    shifts = list(s.scalars(select(Shift).where(Shift.schedule_id == sched.id)))
    assert shifts and all(sh.starts_at < sh.break_starts_at < sh.break_ends_at < sh.ends_at for sh in shifts)
    assert all(sh.agent_code.startswith("agt-") for sh in shifts)


def _check_pilot(s: Session, org_id: uuid.UUID) -> None:
    [pilot] = s.scalars(select(Pilot).where(Pilot.org_id == org_id))
    assert pilot.name == pilots.PILOT_NAME and pilot.status == "running" and pilot.treatment == "ai_agent"
    assert pilot.scope["intents"] == pilots.INTENTS and pilot.planned_n_per_arm > 1000
    [look] = s.scalars(select(PilotLook).where(PilotLook.pilot_id == pilot.id))
    arms = look.report["arms"]
    assert arms["treatment"]["window_closed"] > 0 and arms["control"]["window_closed"] > 0
    assert 0 < look.fraction < 0.25 and look.decision == pilot.decision
