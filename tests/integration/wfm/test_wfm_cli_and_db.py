"""The `cxops wfm` commands on a real database, and verified automation computed from stored interactions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cxops.core import keys
from cxops.core.config import get_settings
from cxops.core.db import unit_of_work
from cxops.domains.directory.public import ensure_customers, ensure_queues
from cxops.domains.interactions.public import Interaction
from cxops.domains.wfm import history, repository, service
from cxops.domains.wfm.models import ForecastPoint, StaffingInterval
from cxops.entrypoints.cli.main import app
from tests.unit.wfm.helpers import synthetic


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CXOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _contact(
    org_id: uuid.UUID,
    external_id: str,
    queue_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    started_at: datetime,
    ai: bool,
    intent: str,
) -> Interaction:
    """A resolved chat contact of 2 minutes' handling, AI-only or not."""
    return Interaction(
        org_id=org_id, source="t", external_id=external_id, content_hash="h", channel="chat", queue_id=queue_id,
        started_at=started_at, outcome="resolved", intent=intent, ai_involved=ai, handed_off=False, talk_s=100.0,
        hold_s=0.0, wrap_s=20.0, customer_id=customer_id, attributes={},
    )  # fmt: skip


def test_forecast_staff_schedule_commands(
    cli_env: None, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    runner = CliRunner()
    path = tmp_path / "history.csv"
    synthetic(30).to_csv(path, index=False)
    out = runner.invoke(app, ["wfm", "forecast", "--csv", str(path), "--horizon", "100"])
    assert out.exit_code == 0, out.output
    run = json.loads(out.stdout)
    assert run["series"]["q1"]["origins"] >= 2
    with session_factory() as s:
        n = len(s.scalars(select(ForecastPoint).where(ForecastPoint.run_id == uuid.UUID(run["forecast_run_id"]))).all())
    assert n == 100
    out = runner.invoke(
        app, ["wfm", "staff", "--run", run["forecast_run_id"], "--aht-s", "240", "--sl", "1.0", "--threshold-s", "20"]
    )
    assert out.exit_code == 2 and "impossible" in out.output
    out = runner.invoke(app, ["wfm", "staff", "--run", run["forecast_run_id"], "--threshold-s", "0"])
    assert out.exit_code == 2 and "answered within 0 s is meaningless" in out.output
    out = runner.invoke(app, ["wfm", "staff", "--run", run["forecast_run_id"], "--aht-s", "240"])
    assert out.exit_code == 0, out.output
    plan = json.loads(out.stdout)
    with session_factory() as s:
        rows = s.scalars(
            select(StaffingInterval).where(StaffingInterval.plan_id == uuid.UUID(plan["staffing_plan_id"]))
        )
        assert all(r.scheduled_agents >= r.raw_agents for r in rows)
    out = runner.invoke(app, ["wfm", "schedule", "--plan", plan["staffing_plan_id"], "--week-start", "2026-02-17"])
    assert out.exit_code == 2 and "give a Monday" in out.output
    out = runner.invoke(app, ["wfm", "forecast", "--csv", str(tmp_path / "missing.csv")])
    assert out.exit_code == 2 and "is not a file" in out.output


def test_a_repeat_contact_on_the_same_intent_unverifies_an_ai_resolution(
    session_factory: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    with unit_of_work(session_factory) as s:
        org = keys.ensure_organisation(s, slug="wfm-verify")
        queue = ensure_queues(s, org.id, {"q": "chat"})["q"]
        ids = ensure_customers(s, org.id, {("t", f"c{n}"): {} for n in range(4)})
        cust = [ids[("t", f"c{n}")] for n in range(4)]
        contacts = [  # (customer, days ago, AI only?, intent)
            (0, 10, True, "billing"),
            (0, 9, False, "billing"),  # came back within 7 days: not verified
            (1, 10, True, "billing"),
            (1, 9, False, "address"),  # came back on another intent: verified
            (2, 20, True, "billing"),
            (2, 12, False, "billing"),  # came back after 8 days: verified
            (3, 10, True, "billing"),  # quiet: verified
        ]
        for n, (c, days, ai, intent) in enumerate(contacts):
            s.add(_contact(org.id, f"x{n}", queue.id, cust[c], now - timedelta(days=days), ai, intent))
    with unit_of_work(session_factory) as s:
        rows = repository.contacts(s, org.id, now - timedelta(days=30), None, ["q"])
        intents, notes = service.intents_for(s, org_id=org.id, queue="q", days=30, verify_days=7)
    hist = history.automation_history(history.frame(rows), now=now, verify_days=7)
    assert hist.loc[hist.intent == "billing", "verified_ai"].sum() == 3
    assert hist.loc[hist.intent == "billing", "contacts"].sum() == 6
    assert notes == [] and {i.intent for i in intents} == {"billing", "address"}


def test_automation_of_several_queues_is_read_once_and_verified_per_queue(
    session_factory: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    with unit_of_work(session_factory) as s:
        org = keys.ensure_organisation(s, slug="wfm-queues")
        queues = ensure_queues(s, org.id, {"q": "chat", "r": "voice", "idle": "chat"})
        ids = ensure_customers(s, org.id, {("t", f"c{n}"): {} for n in range(2)})
        contacts = [  # (customer, queue, days ago, AI only?, intent)
            (0, "q", 10, True, "billing"),
            (0, "r", 9, False, "billing"),  # back on the same intent, but in another queue: q's stays verified
            (1, "r", 10, True, "billing"),
            (1, "r", 9, False, "billing"),  # back in the same queue: not verified
            (None, "r", 5, False, "address"),
        ]
        for n, (c, q, days, ai, intent) in enumerate(contacts):
            customer = None if c is None else ids[("t", f"c{c}")]
            s.add(_contact(org.id, f"y{n}", queues[q].id, customer, now - timedelta(days=days), ai, intent))
    with unit_of_work(session_factory) as s:
        both = service.intents_by_queue(s, org_id=org.id, queues=["q", "r", "idle"], days=30, verify_days=7)
        alone = {q: service.intents_for(s, org_id=org.id, queue=q, days=30, verify_days=7) for q in ("q", "r", "idle")}
    assert both == alone
    (q_billing,) = both["q"][0]
    assert q_billing.automation_share == pytest.approx(1.0)  # its one contact verified, and so the prior
    assert {i.intent: i.automation_share for i in both["r"][0]} == {"address": 0.0, "billing": 0.0}
    assert both["idle"] == (
        [],
        ["queue 'idle': no interactions in the last 30 days, so no automation share is applied"],
    )
