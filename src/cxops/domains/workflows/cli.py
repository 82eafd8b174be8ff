"""`cxops workflows`: apply a rule file, dry-run it against past events, backfill a saved rule over past facts."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer

from cxops.core import keys
from cxops.core.cli import cli_errors, console, fail, open_db, parse_since
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


@app.command("backfill")
def backfill(
    name: str,
    since: str = typer.Option(..., "--since", help="ISO date or time; facts at or after it (UTC without an offset)"),
    max_events: int = typer.Option(
        1000, "--max-events", min=1, max=service.BACKFILL_MAX_EVENTS, help="at most this many events, newest first"
    ),
    org: str = typer.Option(DEFAULT_ORG, "--org"),
) -> None:
    """Apply the saved rule NAME to past facts since --since (a rule otherwise acts only from when it was switched
    on); prints a JSON report. Idempotent; the runs execute when the server or a worker delivers them."""
    start = parse_since(since)
    with cli_errors(), unit_of_work(open_db()) as session:
        org_id = keys.ensure_organisation(session, slug=org).id
        rule = service.rule_by_name(session, org_id, name)
        if rule is None:
            names = ", ".join(repr(r.name) for r in service.current_rules(session, org_id)) or "none"
            fail(f"no rule named {name!r} in organisation {org!r} (its rules: {names})")
            return
        report = service.backfill(session, rule=rule, since=start, max_events=max_events)
    console.print(
        f"rule '{report['rule']}' version {report['version']}: {report['runs_created']} runs created, "
        f"{report['runs_already_present']} already present",
        markup=False,
    )
    typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


@app.command("expire")
def expire(org: str | None = typer.Option(None, "--org", help="only this organisation (default: all)")) -> None:
    """Mark approvals past their expiry 'expired' and end the runs waiting for them (their remaining steps are
    skipped). The API does this when tasks or runs are read; run this from a scheduler to settle them otherwise."""
    with cli_errors(), unit_of_work(open_db()) as session:
        org_id = keys.ensure_organisation(session, slug=org).id if org else None
        count = service.expire_approvals(session, org_id=org_id)
    console.print(f"{count} approval(s) expired")
