"""Shared fixtures: a migrated database (SQLite always; PostgreSQL too when CXOPS_TEST_POSTGRES_URL is set),
the app on it, and API keys of every role for one organisation."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cxops.core import keys
from cxops.core.auth import Role
from cxops.core.config import Settings, get_settings, load_settings
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.events import OutboxDispatcher
from cxops.core.migrate import upgrade
from cxops.domains.actions import decide
from cxops.domains.actions.policy.engine import time_facts
from cxops.entrypoints.http.app import build_subscriptions, create_app

REPO = Path(__file__).resolve().parents[1]
# Knowledge sources registered through the API must live under these folders (tests use temporary folders and the
# shared public data next to the repository).
KNOWLEDGE_ROOTS = os.pathsep.join([tempfile.gettempdir(), str(REPO.parent / "shared")])
SHARED_DATA = REPO.parent / "shared" / "data"
POSTGRES_URL = os.environ.get("CXOPS_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


def _pg_admin_url() -> str:
    return POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)


#: A Tuesday, 10:00 in New York: inside every shipped policy pack's business hours.
IN_BUSINESS_HOURS = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def business_hours(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Action decisions see a business-hours clock, so a test's outcome does not depend on when it runs (the
    packs' G6 rule asks approval for high-risk actions after hours); tests of that rule set their own time."""
    monkeypatch.setattr(decide, "time_facts", lambda _now, hours: time_facts(IN_BUSINESS_HOURS, hours))
    yield


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A migrated template database; each test clones it (CREATE DATABASE ... TEMPLATE)."""
    if not POSTGRES_URL:
        yield None
        return
    name = f"cxops_tmpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}")
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_template: str | None) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cxops.db'}"
        return
    name = f"cxops_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    for attempt in range(20):
        # Cloning fails while another session is still connected to the template: wait and retry.
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
            break
        except OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.25)
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "CXOPS_DATA_DIR": str(tmp_path),
            "CXOPS_MODELS_DIR": str(REPO / ".cxops-data" / "test-models"),
            "CXOPS_DATABASE_URL": db_url,
            "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
            "CXOPS_LOG_LEVEL": "WARNING",
            "CXOPS_KNOWLEDGE_ROOTS": KNOWLEDGE_ROOTS,
            "CXOPS_ASSIST_INFERENCE": "thread",  # tests swap adapters in-process; the process mode has its own
        }
    )


@pytest.fixture
def session_factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings, dispatch=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The `cxops` CLI against a fresh SQLite data directory (test models, no database URL or LLM from the shell)."""
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CXOPS_MODELS_DIR", str(REPO / ".cxops-data" / "test-models"))
    monkeypatch.delenv("CXOPS_DATABASE_URL", raising=False)
    monkeypatch.delenv("CXOPS_LLM_URL", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def make_org_keys(factory: sessionmaker[Session], slug: str) -> dict[str, str]:
    """One key per role for organisation `slug`."""
    out: dict[str, str] = {}
    with unit_of_work(factory) as session:
        org = keys.ensure_organisation(session, slug=slug)
        out["org_id"] = str(org.id)
        for role in Role:
            _, secret = keys.create_key(session, org_id=org.id, role=role, name=f"test-{role.value}")
            out[role.value] = secret
    return out


@pytest.fixture
def org_keys(client: TestClient, app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Keys of every role for organisation 'acme' (the client fixture has already migrated)."""
    return make_org_keys(app.state.session_factory, "acme")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def linked_key(client: TestClient, admin_key: str, code: str, role: str = "agent") -> str:
    """A new key of `role` linked to the directory agent `code` (its subject), created through the API."""
    body = {"name": f"{role} {code}", "role": role, "subject": code}
    r = client.post("/v1/keys", json=body, headers=auth(admin_key))
    assert r.status_code == 201, r.text
    return str(r.json()["api_key"])


def new_agent_key(client: TestClient, admin_key: str, code: str, kind: str = "human") -> str:
    """A directory agent `code` created through the API, and an agent key (service key for AI) linked to it."""
    r = client.post("/v1/agents", json={"code": code, "name": f"Agent {code}", "kind": kind}, headers=auth(admin_key))
    assert r.status_code == 201, r.text
    return linked_key(client, admin_key, code, "agent" if kind == "human" else "service")


def drain_events(app) -> None:  # type: ignore[no-untyped-def]
    """Deliver every pending outbox event to every consumer, as the embedded dispatcher would after commit."""
    dispatcher = OutboxDispatcher(
        app.state.session_factory, build_subscriptions(app.state.settings.effective_models_dir)
    )
    while dispatcher.run_once():
        pass
