"""`cxops keys`: create, list and revoke API keys."""

from __future__ import annotations

import uuid

import typer

from cxops.core import keys as keys_service
from cxops.core.auth import parse_role
from cxops.core.db import unit_of_work
from cxops.domains.directory.public import check_key_subject
from cxops.entrypoints.cli.common import cli_errors, console, fail, open_db

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
DEFAULT_ORG = "default"


@app.command("create")
def create(
    role: str = typer.Option(..., "--role", help="admin, supervisor, analyst, agent or service"),
    name: str = typer.Option("cli", "--name", help="a label for the key"),
    org: str = typer.Option(DEFAULT_ORG, "--org", help="organisation slug (created if new)"),
    subject: str | None = typer.Option(
        None,
        "--subject",
        help="agent and service keys: the code of the directory agent the key acts as (an agent key needs one to "
        "read its own coaching, evaluations and proposals); other roles: a label",
    ),
) -> None:
    """Create a key and print it once on stdout."""
    try:
        parsed = parse_role(role)
    except ValueError as exc:
        fail(str(exc))
        return
    factory = open_db()
    with cli_errors(), unit_of_work(factory) as session:
        organisation = keys_service.ensure_organisation(session, slug=org)
        linked = check_key_subject(session, org_id=organisation.id, role=parsed, subject=subject)
        row, secret = keys_service.create_key(session, org_id=organisation.id, role=parsed, name=name, subject=linked)
        as_who = f" acting as '{linked}'" if linked else ""
        console.print(f"created {parsed.value} key {row.prefix}…{as_who} for organisation '{org}'")
    typer.echo(secret)


@app.command("list")
def list_keys(org: str = typer.Option(DEFAULT_ORG, "--org")) -> None:
    """List keys (prefixes only; secrets are never stored)."""
    factory = open_db()
    with cli_errors(), unit_of_work(factory) as session:
        organisation = keys_service.ensure_organisation(session, slug=org)
        for row in keys_service.list_keys(session, org_id=organisation.id):
            state = "revoked" if row.revoked_at else "active"
            subject = f"  (subject {row.subject})" if row.subject else ""
            typer.echo(f"{row.id}  {row.prefix}…  {row.role:<10}  {state:<8}  {row.name}{subject}")


@app.command("revoke")
def revoke(key_id: str, org: str = typer.Option(DEFAULT_ORG, "--org")) -> None:
    """Revoke a key by id."""
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        fail(f"{key_id!r} is not a key id (a UUID from 'cxops keys list')")
        return
    factory = open_db()
    with cli_errors(), unit_of_work(factory) as session:
        organisation = keys_service.ensure_organisation(session, slug=org)
        keys_service.revoke_key(session, org_id=organisation.id, key_id=parsed)
    console.print("revoked")
