"""`cxops qa publish|score|calibration` with clear errors."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

import cxops.domains.qa as qa_pkg
from cxops.entrypoints.cli.main import app
from tests.factories import interaction

DEMO = Path(qa_pkg.__file__).parent / "scorecards" / "demo.yaml"


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
