"""`cxops actions test-policy`: runs pack tests, rejects a bad pack with its line; extra packs directory."""

from __future__ import annotations

from typer.testing import CliRunner

from cxops.domains.actions.policy.registry import pack_files
from cxops.entrypoints.cli.main import app

BAD = """pack: broken
version: "1"
system: retail
rules:
  - id: B1
    when: entity.no_such_field == 1
    effect: deny
    reason: nope
"""


def test_shipped_packs_pass():
    result = CliRunner().invoke(app, ["actions", "test-policy"])
    assert result.exit_code == 0
    assert "tau2-retail: 27 rules" in result.output and "FAIL" not in result.output


def test_bad_pack_fails_with_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BAD)
    result = CliRunner().invoke(app, ["actions", "test-policy", str(path)])
    assert result.exit_code == 1
    assert "broken.yaml, line 6" in result.output and "unknown field 'entity.no_such_field'" in result.output


def test_failing_pack_test_exits_nonzero(tmp_path):
    rule = "actions: [cancel_pending_order]\n    when: entity.order_status != 'pending'"
    text = BAD.replace("when: entity.no_such_field == 1", rule) + (
        "tests:\n  - name: wrong expectation\n    action: cancel_pending_order\n"
        "    params: {order_id: '#W1', reason: x}\n    entity: {order_status: pending}\n    expect: deny\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["actions", "test-policy", str(path)])
    assert result.exit_code == 1 and "expected deny, got allow" in result.output


def test_extra_packs_directory(tmp_path, monkeypatch):
    (tmp_path / "mine.yaml").write_text(BAD)
    monkeypatch.setenv("CXOPS_ACTIONS_PACKS_DIR", str(tmp_path))
    assert pack_files()[-1] == tmp_path / "mine.yaml"
