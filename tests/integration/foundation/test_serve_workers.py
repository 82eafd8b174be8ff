"""`cxops serve --workers N`: the value reaches the settings each uvicorn worker process builds from its environment,
so the assist inference processes divide the cores among N workers rather than CXOPS_WORKERS' value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cxops.core.config import get_settings
from cxops.entrypoints.cli import serve as serve_cli
from cxops.entrypoints.cli.main import app as cli

# What a uvicorn worker process does first: build its settings from the environment it inherited.
CHILD = (
    "from cxops.core.config import get_settings; import os; "
    "s = get_settings(); print(s.workers, max(1, os.cpu_count() // s.workers))"
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A SQLite data dir, CXOPS_WORKERS=1 as an operator's environment might say; uvicorn.run records its call
    and starts a real child process with the environment a worker would inherit."""
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CXOPS_WORKERS", "1")
    for name in ("CXOPS_DATABASE_URL", "CXOPS_ASSIST_PROCESSES", "CXOPS_NATS_URL"):
        monkeypatch.delenv(name, raising=False)
    seen: dict[str, Any] = {}

    def run(target: str, **kw: Any) -> None:
        child = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, env=os.environ
        )
        seen.update(kw, target=target, child=child.stdout.split(), in_process=get_settings().workers)

    monkeypatch.setattr(serve_cli.uvicorn, "run", run)
    get_settings.cache_clear()
    yield seen
    get_settings.cache_clear()


def test_workers_option_reaches_the_worker_processes_settings(env: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--wait", "0"])
    assert result.exit_code == 0, result.output
    expected = max(1, (os.cpu_count() or 1) // 2)
    assert env["workers"] == 2 and env["in_process"] == 2
    assert env["child"] == ["2", str(expected)]


def test_without_the_option_the_environment_decides(env: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--wait", "0"])
    assert result.exit_code == 0, result.output
    assert env["workers"] == 1 and env["child"] == ["1", str(max(1, os.cpu_count() or 1))]


def test_a_workers_value_out_of_range_is_refused(env: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--workers", "0", "--wait", "0"])
    assert result.exit_code == 2 and "--workers" in result.output and not env
