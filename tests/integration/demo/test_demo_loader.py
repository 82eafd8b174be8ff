"""Loading the demo into a real database: idempotent directory, interactions and states; the admin key file."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys
from cxops.core.db import unit_of_work
from cxops.domains.directory.public import Agent, Queue, Team
from cxops.domains.interactions.public import AgentStateEvent, Interaction, Turn
from cxops.entrypoints.demo import already_loaded, ensure_admin_key, load_demo
from cxops.integrations.demo import DemoConfig, Generator

CONFIG = DemoConfig(seed=4, days=2, volume=60, end=date(2026, 2, 10))


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(factory) as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) or 0
                for m in (Agent, Team, Queue, Interaction, Turn, AgentStateEvent)}  # fmt: skip


def _load(factory: sessionmaker[Session], org_id) -> object:  # type: ignore[no-untyped-def]
    gen = Generator(CONFIG)
    return load_demo(factory, org_id=org_id, spec=gen.directory(), days=gen.days())


def test_loading_twice_adds_nothing(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        org_id = keys.ensure_organisation(s, slug="default").id
        assert not already_loaded(s, org_id=org_id, source=CONFIG.source)
    first = _load(session_factory, org_id)
    counts = _counts(session_factory)
    assert first.interactions_failed == 0 and first.interactions_created > 50
    assert first.directory_created >= 300 and first.states_created > 0
    assert counts["Interaction"] == first.interactions_created
    second = _load(session_factory, org_id)
    assert second.directory_created == 0
    assert second.interactions_created == 0
    assert second.interactions_unchanged == first.interactions_created
    assert second.states_created == 0
    assert _counts(session_factory) == counts
    with unit_of_work(session_factory) as s:
        assert already_loaded(s, org_id=org_id, source=CONFIG.source)
        # Interactions point at the directory's agents (not auto-created ones) and their teams.
        assert s.scalar(select(func.count()).select_from(Agent).where(Agent.auto_created.is_(True))) == 0
        with_team = s.scalar(select(func.count()).select_from(Interaction).where(Interaction.team_id.is_not(None)))
        assert with_team and with_team > counts["Interaction"] / 2


def test_admin_key_is_written_once_with_mode_0600(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "keys" / "admin-key.txt"
    with unit_of_work(session_factory) as s:
        org_id = keys.ensure_organisation(s, slug="default").id
        assert ensure_admin_key(s, org_id=org_id, path=path) is True
    secret = path.read_text().strip()
    assert secret.startswith("cx_")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with unit_of_work(session_factory) as s:
        assert ensure_admin_key(s, org_id=org_id, path=path) is False
    assert path.read_text().strip() == secret
    with unit_of_work(session_factory) as s:
        for row in keys.list_keys(s, org_id=org_id):
            keys.revoke_key(s, org_id=org_id, key_id=row.id)
    with unit_of_work(session_factory) as s:
        assert ensure_admin_key(s, org_id=org_id, path=path) is True
    assert path.read_text().strip() != secret


def test_loading_leaves_planner_statistics(session_factory: sessionmaker[Session]) -> None:
    """Without statistics SQLite took the org index for a customer's contacts and scanned all of them."""
    with unit_of_work(session_factory) as s:
        org_id = keys.ensure_organisation(s, slug="default").id
    _load(session_factory, org_id)
    with unit_of_work(session_factory) as s:
        if s.get_bind().dialect.name == "sqlite":
            rows = s.execute(text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'interaction'")).scalars().all()
            assert "ix_interaction_customer_started" in rows
        else:
            analysed = s.execute(
                text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'interaction'")
            ).scalar()
            assert analysed is not None
