"""`cxops kb` end to end on a real SQLite database: add-source, sync (with a bad file), search, health."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxops.core.config import get_settings
from cxops.domains.knowledge import cli as knowledge_cli
from cxops.entrypoints.cli.main import app
from tests.knowledge_support import shared_embedder, write_markdown_source


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CXOPS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    knowledge_cli.bind_embedder(lambda _folder: shared_embedder())
    yield tmp_path
    get_settings.cache_clear()


def test_kb_commands(cli_env: Path) -> None:
    runner = CliRunner()
    root = write_markdown_source(cli_env / "md")
    (root / "bad.md").write_text("")
    out = runner.invoke(app, ["kb", "add-source", "help", "--kind", "markdown", "--path", str(root), "--owner", "ops"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["kb", "sync"])
    assert out.exit_code == 0 and "help: +3 ~0 -0 =0, 1 errors" in out.output and "bad.md: empty file" in out.output
    out = runner.invoke(app, ["kb", "search", "reset my password", "--json", "--role", "agent"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["citation"]["title"] == "Reset your password"
    out = runner.invoke(app, ["kb", "health", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["articles"] == 3
    # An old FAQ export that contradicts the help centre: the report says what, where and why.
    faq = cli_env / "faq.csv"
    faq.write_text("question,answer\nRefund policy?,Refunds are possible within 14 days of purchase if unused.\n")
    args = ["kb", "add-source", "old-faq", "--kind", "faq", "--path", str(faq), "--owner", "web"]
    out = runner.invoke(app, [*args, "--last-reviewed", "2024-01-31"])
    assert out.exit_code == 0, out.output
    assert runner.invoke(app, ["kb", "sync", "old-faq"]).exit_code == 0
    out = runner.invoke(app, ["kb", "health"])
    assert out.exit_code == 0, out.output
    text = out.output
    assert "conflicts:\n" in text and '(old-faq): "Refunds are possible within 14 days of purchase if unused."' in text
    assert "stale:\n  Refund policy?: review overdue by" in text and "older than conflicting article" in text
    out = runner.invoke(app, ["kb", "search", "refund within days of purchase", "--k", "2"])
    assert out.exit_code == 0, out.output
    faq_line = next(line for line in out.output.splitlines() if "[old-faq]" in line)
    assert faq_line.endswith("(superseded)") and "      Review overdue by" in out.output
    assert "The newer article 'Refund policy' (help) states otherwise" in out.output
    out = runner.invoke(app, ["kb", "reviewed", "old-faq"])
    assert out.exit_code == 0 and "old-faq: 1 articles reviewed as of " in out.output and "next review" in out.output
    assert "review overdue" not in runner.invoke(app, ["kb", "health"]).output
    assert runner.invoke(app, ["kb", "reviewed", "nope"]).exit_code == 2
    bad = runner.invoke(app, ["kb", "add-source", "x", "--kind", "faq", "--path", str(faq), "--owner", "o",
                              "--last-reviewed", "last spring"])  # fmt: skip
    assert bad.exit_code != 0 and "--last-reviewed 'last spring' is not an ISO date" in bad.output


def test_kb_errors_are_clear(cli_env: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["kb", "add-source", "x", "--kind", "docx", "--path", str(cli_env), "--owner", "o"])
    assert out.exit_code == 2 and "kind" in out.output
    out = runner.invoke(
        app, ["kb", "add-source", "x", "--kind", "pdf", "--path", str(cli_env / "nope"), "--owner", "o"]
    )
    assert out.exit_code == 2 and "does not exist" in out.output
    assert runner.invoke(app, ["kb", "search", "x", "--org", "ghost"]).exit_code == 2
    out = runner.invoke(app, ["kb", "search", "x", "--role", "boss"])
    assert out.exit_code == 2 and "unknown role" in out.output
