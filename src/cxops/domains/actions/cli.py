"""`cxops actions test-policy`, `cxops actions recover` and `cxops audit verify`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.cli import open_db
from cxops.core.config import get_settings
from cxops.core.errors import CxopsError
from cxops.core.models import Organisation
from cxops.domains.actions import audit, tasks
from cxops.domains.actions.policy.pack import load_pack_file
from cxops.domains.actions.policy.registry import default_catalogue, pack_files
from cxops.domains.actions.policy.testing import run_pack_tests
from cxops.domains.actions.runtime import ActionsRuntime, default_runtime

app = typer.Typer(help="Governed actions: policy packs and their tests.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log of actions.", no_args_is_help=True)
_RUNTIME: dict[str, Callable[[sessionmaker[Session]], ActionsRuntime]] = {}


def bind_runtime(build: Callable[[sessionmaker[Session]], ActionsRuntime]) -> None:
    """Called by the CLI entrypoint: how to build the runtime (connectors as configured) on a session factory."""
    _RUNTIME["build"] = build


@app.command("test-policy")
def test_policy(paths: list[Path] = typer.Argument(None, help="pack files (default: the shipped packs)")) -> None:
    """Load each pack (rejecting bad ones with the line) and run the tests it ships with."""
    failed = 0
    for path in paths or pack_files():
        try:
            pack = load_pack_file(path, default_catalogue())
        except CxopsError as exc:
            typer.echo(f"FAIL {path}: {exc.message}", err=True)
            failed += 1
            continue
        results = run_pack_tests(pack, default_catalogue())
        for r in results:
            typer.echo(
                f"{'ok  ' if r.passed else 'FAIL'} {pack.name}@{pack.version} line {r.line}: {r.name} - {r.detail}"
            )
        failed += sum(not r.passed for r in results)
        typer.echo(
            f"{pack.name}: {len(pack.rules)} rules, {sum(r.passed for r in results)}/{len(results)} tests passed"
        )
    if failed:
        raise typer.Exit(1)


def _factory() -> sessionmaker[Session]:
    return open_db(get_settings())


@app.command("recover")
def recover(
    lease: int = typer.Option(
        None, min=1, help="seconds a proposal may stay 'executing' (default CXOPS_ACTIONS_RECOVERY_LEASE_S)"
    ),
    limit: int = typer.Option(100, min=1, max=10_000, help="at most this many proposals"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Resume executions a crash left 'executing' past the lease, as a retry would (exit 1 if one failed or was
    given up: CXOPS_ACTIONS_RECOVERY_MAX_ATTEMPTS, CXOPS_ACTIONS_RECOVERY_BACKOFF_S)."""
    settings = get_settings()
    lease_s = lease or settings.actions_recovery_lease_s
    factory = _factory()
    build = _RUNTIME.get("build")
    runtime = build(factory) if build else default_runtime()
    report = tasks.recover_interrupted(
        factory,
        runtime,
        lease_s=lease_s,
        limit=limit,
        max_attempts=settings.actions_recovery_max_attempts,
        backoff_s=settings.actions_recovery_backoff_s,
    )
    if as_json:
        typer.echo(orjson.dumps({"lease_s": lease_s, "proposals": report}).decode())
    elif not report:
        typer.echo(f"no proposal has been executing for longer than {lease_s} s")
    for item in [] if as_json else report:
        typer.echo(f"{item['proposal_id']}: {item['outcome']}")
    if any(item["outcome"].startswith(("failed:", "gave up:")) for item in report):
        raise typer.Exit(1)


@audit_app.command("verify")
def verify(org: str = typer.Option("", "--org", help="organisation slug (default: every organisation)")) -> None:
    """Walk every organisation's chain; exit 1 naming the first tampered row."""
    factory = _factory()
    bad = 0
    with factory() as session:
        stmt = select(Organisation)
        if org:
            stmt = stmt.where(Organisation.slug == org)
        orgs = session.scalars(stmt).all()
        if org and not orgs:
            typer.echo(f"error: unknown organisation {org!r}", err=True)
            raise typer.Exit(2)
        for o in orgs:
            result = audit.verify(session, org_id=o.id)
            if result["ok"]:
                typer.echo(f"ok   {o.slug}: {result['detail']}")
            else:
                bad += 1
                typer.echo(
                    f"FAIL {o.slug}: row {result['first_bad_row']} (seq {result['first_bad_seq']}): {result['detail']}"
                )
    if bad:
        raise typer.Exit(1)
