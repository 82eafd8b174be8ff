"""`cxops workflows`: apply a rule file, dry-run it against past events, list rules."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer

from cxops.core import keys
from cxops.core.cli import cli_errors, console, fail, open_db
from cxops.core.db import unit_of_work
from cxops.domains.workflows import service

app = typer.Typer(help="Workflow rules.", no_args_is_help=True)
DEFAULT_ORG = "default"


def _read(path: Path) -> str:
    if not path.is_file():
        fail(f"{path} does not exist or is not a file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    return ""


@app.command("apply")
def apply(path: Path, org: str = typer.Option(DEFAULT_ORG, "--org")) -> None:
    """Save the rule in PATH (YAML) as a new version."""
    source = _read(path)
    with cli_errors(), unit_of_work(open_db()) as session:
        org_id = keys.ensure_organisation(session, slug=org).id
        row = service.save_rule(session, org_id=org_id, source=source)
        console.print(f"saved rule '{row.name}' version {row.version} (trigger {row.trigger})")


@app.command("dry-run")
def dry_run(
    path: Path, org: str = typer.Option(DEFAULT_ORG, "--org"), limit: int = typer.Option(200, min=1, max=1000)
) -> None:
    """Evaluate the rule in PATH against past events; prints a JSON report, executes nothing."""
    source = _read(path)
    with cli_errors(), unit_of_work(open_db()) as session:
        org_id = keys.ensure_organisation(session, slug=org).id
        report = service.dry_run(session, org_id=org_id, source=source, since=None, limit=limit)
    typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
