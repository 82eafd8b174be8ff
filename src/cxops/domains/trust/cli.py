"""`cxops trust`: rebuild the trust ledger from history, purge expired memory."""

from __future__ import annotations

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.cli import open_db
from cxops.core.config import get_settings
from cxops.core.models import Organisation
from cxops.domains.trust.tasks import purge_once, rebuild

app = typer.Typer(help="Trust ledger and consented memory.", no_args_is_help=True)


def _factory() -> sessionmaker[Session]:
    return open_db(get_settings())


@app.command("rebuild")
def rebuild_cmd(org: str = typer.Option("", "--org", help="organisation slug (default: every organisation)")) -> None:
    """Re-derive every customer's poor automated experiences from the stored interactions."""
    factory = _factory()
    org_id = None
    if org:
        with factory() as session:
            org_id = session.scalars(select(Organisation.id).where(Organisation.slug == org)).first()
        if org_id is None:
            typer.echo(f"error: unknown organisation {org!r}", err=True)
            raise typer.Exit(2)
    written = rebuild(factory, org_id=org_id)
    typer.echo(f"trust ledger rebuilt: {written} entries derived")


@app.command("purge")
def purge_cmd() -> None:
    """Delete memory items past their retention date."""
    typer.echo(f"expired memory items purged: {purge_once(_factory())}")
