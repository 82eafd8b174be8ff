"""`cxops trust rebuild|purge` on the configured database."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from cxops.contracts.interactions import InteractionIn
from cxops.core import keys
from cxops.core.config import get_settings
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.migrate import upgrade
from cxops.domains.interactions.ingest import ingest_batch
from cxops.domains.trust.models import TrustExperience
from cxops.entrypoints.cli.main import app
from tests.api.trust.helpers import record


def test_rebuild_and_purge(runner: CliRunner) -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        org = keys.ensure_organisation(s, slug="cli")
        rec = InteractionIn.model_validate(record(customer="k-1", handoff=True, outcome="escalated"))
        ingest_batch(s, org_id=org.id, items=[(1, rec)])
    out = runner.invoke(app, ["trust", "rebuild", "--org", "cli"])
    assert out.exit_code == 0 and "1 entries derived" in out.output, out.output
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(TrustExperience)) == 1
    unknown = runner.invoke(app, ["trust", "rebuild", "--org", "nope"])
    assert unknown.exit_code == 2 and "unknown organisation" in unknown.output
    purged = runner.invoke(app, ["trust", "purge"])
    assert purged.exit_code == 0 and "purged: 0" in purged.output
    engine.dispose()
