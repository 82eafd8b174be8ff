"""`cxops demo` end to end on SQLite in a temporary data directory (only uvicorn itself replaced by a stub)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxops.core.config import get_settings
from cxops.entrypoints.cli import serve as serve_cli
from cxops.entrypoints.cli.main import app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CXOPS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_demo_loads_writes_the_key_and_then_serves_at_once(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--days", "1", "--volume", "40", "--seed", "3", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Loaded" in result.output
    assert "Indexed 39 help-centre articles" in result.output.replace("\n", " ")
    assert (data_dir / "knowledge-sources" / "default" / "help-centre" / "refund_request.md").is_file()
    out = result.output.replace("\n", " ")
    seeded = ("QA: scorecard", "WFM: 5 voice queues", "Pilots: pilot", "Actions: 38 proposals", "Workflows: 4 rules")
    for line in seeded:
        assert line in out  # every capability's pages have something to show
    key = data_dir / "admin-key.txt"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert str(key.resolve()) in result.output.replace("\n", "")
    served: list[tuple[str, dict]] = []
    # the real serve path (settings, the database preflight) up to uvicorn, which would block
    monkeypatch.setattr(serve_cli.uvicorn, "run", lambda target, **kw: served.append((target, kw)))
    again = runner.invoke(app, ["demo", "--days", "1", "--volume", "40", "--seed", "3", "--port", "8123"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
    assert "help-centre articles" not in again.output  # indexed once
    assert again.output.count("nothing added") >= 4 and "Pilots: pilot" in again.output  # the seeds are idempotent
    assert len(served) == 1
    target, options = served[0]
    assert target == "cxops.entrypoints.http.asgi:app"
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8123, 1)
    assert key.read_text().strip().startswith("cx_")


def test_demo_refuses_bad_options(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--days", "0", "--no-serve"])
    assert result.exit_code != 0
    assert "--days" in result.output
