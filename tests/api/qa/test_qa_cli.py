"""`cxops qa publish|score|calibration` with clear errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import cxops.domains.qa as qa_pkg
from cxops.core.config import get_settings
from cxops.entrypoints.cli.main import app
from tests.conftest import REPO
from tests.factories import interaction

DEMO = Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CXOPS_MODELS_DIR", str(REPO / ".cxops-data" / "test-models"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_publish_import_and_score_history(runner: CliRunner, tmp_path: Path) -> None:
    assert "no active scorecard" in runner.invoke(app, ["qa", "score", "--since", "2026-01-01"]).output
    assert runner.invoke(app, ["qa", "publish", str(DEMO)]).exit_code == 0
    data = tmp_path / "calls.ndjson"
    data.write_bytes(b"\n".join(orjson.dumps(interaction(i)) for i in range(5)))
    assert runner.invoke(app, ["import", str(data), "--format", "ndjson"]).exit_code == 0
    out = runner.invoke(app, ["qa", "score", "--since", "2026-03-01"])
    assert out.exit_code == 0 and "scored 5 interactions (5 evaluations)" in out.output
    assert runner.invoke(app, ["qa", "score", "--since", "March"]).exit_code == 2
    assert orjson.loads(runner.invoke(app, ["qa", "calibration"]).stdout) == []
