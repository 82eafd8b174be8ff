"""`cxops analytics metrics` on a real SQLite database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import orjson
from typer.testing import CliRunner

from cxops.core import keys
from cxops.core.config import get_settings
from cxops.core.db import make_engine, make_session_factory, unit_of_work
from cxops.core.migrate import upgrade
from cxops.domains.analytics.cli import app
from cxops.domains.interactions.public import BatchIngestor, parse_obj
from tests.factories import interaction


def test_metrics_command_prints_json_and_csv(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CXOPS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{tmp_path / 'cxops.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org_id = keys.ensure_organisation(session, slug="cli").id
    ingestor = BatchIngestor(factory, org_id)
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(6):
        at = (start + timedelta(minutes=n)).isoformat()
        ingestor.add(parse_obj(n, interaction(n, started_at=at, ended_at=at, channel=["voice", "chat"][n % 2])), n)
    ingestor.flush()
    runner = CliRunner()
    result = runner.invoke(app, ["metrics", "--org", "cli", "--metrics", "volume", "--by", "channel"])
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.stdout)["rows"]
    assert {r["channel"]: r["volume"] for r in rows} == {"voice": 3, "chat": 3}
    result = runner.invoke(app, ["metrics", "--org", "cli", "--metrics", "volume", "--format", "csv"])
    assert list(csv.DictReader(io.StringIO(result.stdout))) == [{"volume": "6"}]
    bad = runner.invoke(app, ["metrics", "--org", "cli", "--metrics", "nps"])
    assert bad.exit_code == 2 and "unknown metric 'nps'" in bad.output
    missing = runner.invoke(app, ["metrics", "--org", "nobody"])
    assert missing.exit_code == 2 and "no organisation" in missing.output
    get_settings.cache_clear()
