"""`cxops workflows apply|dry-run|backfill|expire` with clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from typer.testing import CliRunner

from cxops.entrypoints.cli.main import app
from tests.factories import interaction


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


def test_backfill_applies_a_saved_rule_to_past_facts(runner: CliRunner, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    calls = tmp_path / "calls.ndjson"
    records = [
        interaction(
            n, outcome="escalated", started_at=(end - timedelta(minutes=6)).isoformat(), ended_at=end.isoformat()
        )
        for n, end in ((1, now - timedelta(days=3)), (2, now - timedelta(hours=2)))
    ]
    calls.write_bytes(b"\n".join(orjson.dumps(r) for r in records))
    assert runner.invoke(app, ["import", str(calls), "--format", "ndjson"]).exit_code == 0
    rule = tmp_path / "rule.yaml"
    rule.write_text(
        "name: call back\ntrigger: interaction_ended\nconditions:\n  - {field: outcome, op: eq, value: escalated}\n"
        "steps:\n  - notify: {message: hi}\n"
    )
    assert runner.invoke(app, ["workflows", "apply", str(rule)]).exit_code == 0
    since = (now - timedelta(days=1)).isoformat()
    out = runner.invoke(app, ["workflows", "backfill", "call back", "--since", since, "--max-events", "10"])
    assert out.exit_code == 0, out.output
    report = orjson.loads(out.stdout)
    assert (report["events_examined"], report["subjects_evaluated"], report["runs_created"]) == (1, 1, 1)
    again = orjson.loads(runner.invoke(app, ["workflows", "backfill", "call back", "--since", since]).stdout)
    assert (again["runs_created"], again["runs_already_present"]) == (0, 1)


def test_backfill_errors_are_specific(runner: CliRunner, tmp_path: Path) -> None:
    rule = tmp_path / "rule.yaml"
    rule.write_text("name: r\ntrigger: interaction_ended\nsteps:\n  - notify: {message: hi}\n")
    assert runner.invoke(app, ["workflows", "apply", str(rule)]).exit_code == 0
    unknown = runner.invoke(app, ["workflows", "backfill", "nope", "--since", "2026-11-01"])
    assert unknown.exit_code == 2 and "no rule named 'nope'" in unknown.output and "'r'" in unknown.output
    bad = runner.invoke(app, ["workflows", "backfill", "r", "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since 'yesterday' is not an ISO date" in bad.output
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = runner.invoke(app, ["workflows", "backfill", "r", "--since", future])
    assert later.exit_code == 2 and "in the future" in later.output and "(since)" in later.output
    missing = runner.invoke(app, ["workflows", "backfill", "r"])
    assert missing.exit_code == 2 and "--since" in missing.output


def test_expire_settles_overdue_approvals(runner: CliRunner) -> None:
    out = runner.invoke(app, ["workflows", "expire"])
    assert out.exit_code == 0 and "0 approval(s) expired" in out.output
