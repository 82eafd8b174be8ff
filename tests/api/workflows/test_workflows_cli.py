"""`cxops workflows apply|dry-run` with clear errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from cxops.core.config import get_settings
from cxops.entrypoints.cli.main import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_apply_then_dry_run(runner: CliRunner, tmp_path: Path) -> None:
    rule = tmp_path / "rule.yaml"
    rule.write_text("name: r\ntrigger: interaction_ended\nsteps:\n  - notify: {message: hi}\n")
    first = runner.invoke(app, ["workflows", "apply", str(rule)])
    second = runner.invoke(app, ["workflows", "apply", str(rule)])
    assert first.exit_code == 0 and "version 1" in first.output and "version 2" in second.output
    report = runner.invoke(app, ["workflows", "dry-run", str(rule)])
    assert report.exit_code == 0 and orjson.loads(report.stdout)["events_examined"] == 0


def test_errors_are_specific(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["workflows", "apply", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: r\ntrigger: interaction_ended\nsteps:\n  - fly: {}\n")
    out = runner.invoke(app, ["workflows", "apply", str(bad)])
    assert out.exit_code == 2 and "line 4" in out.output and "unknown step" in out.output
