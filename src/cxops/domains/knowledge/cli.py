"""`cxops kb`: add a source, sync, search and check knowledge health from the command line."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.core.auth import Role, parse_role
from cxops.core.cli import open_db, parse_since
from cxops.core.config import get_settings
from cxops.core.db import unit_of_work
from cxops.core.errors import CxopsError
from cxops.core.keys import ensure_organisation
from cxops.core.models import Organisation
from cxops.domains.knowledge import repository, retrieval, schemas, service
from cxops.domains.knowledge.ports import Embedder

app = typer.Typer(help="Knowledge hub: sources, sync, search, health.", no_args_is_help=True)
_EMBEDDER: dict[str, Callable[[Path], Embedder | None]] = {}


def bind_embedder(factory: Callable[[Path], Embedder | None]) -> None:
    """Called by the CLI entrypoint: how to build the embedder from a model cache folder."""
    _EMBEDDER["factory"] = factory


def _embedder() -> Embedder | None:
    factory = _EMBEDDER.get("factory")
    return factory(get_settings().effective_models_dir) if factory else None


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _session(org: str, *, create: bool = False) -> Iterator[tuple[Session, uuid.UUID]]:
    settings = get_settings()
    factory = open_db(settings)
    try:
        with unit_of_work(factory) as session:
            if create:
                org_id = ensure_organisation(session, slug=org).id
            else:
                found = session.scalars(select(Organisation.id).where(Organisation.slug == org)).first()
                if found is None:
                    _fail(f"unknown organisation {org!r} (create it with `cxops keys create --org {org}`)")
                org_id = found  # type: ignore[assignment]
            yield session, org_id
    except CxopsError as exc:
        _fail(exc.message + (f" ({exc.field})" if exc.field else ""))
    finally:
        factory.kw["bind"].dispose()


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@app.command("add-source")
def add_source(
    name: str = typer.Argument(..., help="unique source name, e.g. help-centre"),
    kind: str = typer.Option(..., "--kind", help="markdown|html|pdf|faq|zendesk|confluence|jsonl"),
    path: str = typer.Option(..., "--path", help="folder or export file readable by cxops"),
    owner: str = typer.Option(..., "--owner", help="who owns the content"),
    roles: str = typer.Option("", "--roles", help="comma-separated roles allowed to see it (default: all)"),
    regions: str = typer.Option("", "--regions", help="comma-separated regions (default: all)"),
    tiers: str = typer.Option("", "--tiers", help="comma-separated customer tiers (default: all)"),
    review_days: int = typer.Option(180, "--review-days", help="review interval in days"),
    last_reviewed: str = typer.Option(
        "", "--last-reviewed", help="when its content was last reviewed, ISO date (default: now, at its first sync)"
    ),
    org: str = typer.Option("default", "--org", help="organisation slug (created if new)"),
) -> None:
    """Register a knowledge source."""
    reviewed = parse_since(last_reviewed, "--last-reviewed") if last_reviewed else None
    try:
        data = schemas.SourceCreate(
            name=name, kind=kind, path=path, owner=owner, audience_roles=[parse_role(r) for r in _split(roles)],
            regions=_split(regions), tiers=_split(tiers), review_interval_days=review_days, last_reviewed_at=reviewed,
        )  # fmt: skip
    except (ValidationError, ValueError) as exc:
        _fail(_first_error(exc))
    with _session(org, create=True) as (session, org_id):
        source = service.create_source(session, org_id=org_id, data=data)
        typer.echo(f"added source {source.name} ({source.kind}) -> {source.path}")


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc)


@app.command("sync")
def sync(
    name: str = typer.Argument("", help="source name (default: every source)"),
    org: str = typer.Option("default", "--org"),
) -> None:
    """Re-read sources: added, changed and removed articles, and per-file errors."""
    embedder = _embedder()
    with _session(org) as (session, org_id):
        sources = [s for s in repository.sources(session, org_id) if not name or s.name == name]
        if not sources:
            _fail(f"no source named {name!r}" if name else "no sources: add one with `cxops kb add-source`")
        for source in sources:
            run = service.sync(session, org_id=org_id, source_id=source.id, embedder=embedder)
            typer.echo(
                f"{source.name}: +{run.added} ~{run.changed} -{run.removed} ={run.unchanged}, {len(run.errors)} errors"
            )
            for err in run.errors:
                typer.echo(f"  {err['file']}: {err['message']}")


@app.command("reviewed")
def reviewed(
    name: str = typer.Argument(..., help="the source whose content was reviewed"),
    at: str = typer.Option("", "--at", help="when the review happened, ISO date (default: now)"),
    org: str = typer.Option("default", "--org"),
) -> None:
    """Record that a source's owner reviewed it: its articles' next review falls one interval later."""
    when = parse_since(at, "--at") if at else None
    with _session(org) as (session, org_id):
        source = repository.source_by_name(session, org_id, name)
        if source is None:
            _fail(f"no source named {name!r}")
            return
        row, n = service.mark_source_reviewed(session, org_id=org_id, source_id=source.id, reviewed_at=when)
        done = row.last_reviewed_at
        due = f"; next review {done + timedelta(days=row.review_interval_days):%Y-%m-%d}" if done else ""
        typer.echo(f"{row.name}: {n} articles reviewed as of {done:%Y-%m-%d}{due}")


@app.command("search")
def search(
    query: str = typer.Argument(..., help="what to look for"),
    k: int = typer.Option(5, "--k", min=1, max=50),
    role: str = typer.Option("admin", "--role", help="search as this role"),
    region: str = typer.Option("", "--region"),
    tier: str = typer.Option("", "--tier"),
    org: str = typer.Option("default", "--org"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Hybrid search with citations."""
    try:
        parsed: Role = parse_role(role)
    except ValueError as exc:
        _fail(str(exc))
    embedder = _embedder()
    with _session(org) as (session, org_id):
        access = service.access_for(parsed, region=region or None, tier=tier or None)
        results, note = retrieval.search(
            session, org_id=org_id, data_dir=get_settings().data_dir, embedder=embedder, query=query, access=access, k=k
        )
        service.annotate_freshness(session, org_id=org_id, results=results, access=access)
    if note:
        typer.echo(f"note: {note}", err=True)
    _print(results, as_json, _search_line)


def _search_line(r: dict[str, Any]) -> str:
    """A result on one line, then its freshness notes (overdue review, conflicting articles) indented."""
    c, fresh = r["citation"], r.get("freshness") or {}
    status = "" if fresh.get("status", "current") == "current" else f"  ({fresh['status'].replace('_', ' ')})"
    notes = "".join(f"\n      {n}" for n in fresh.get("notes", []))
    return f"{r['confidence']:.2f}  {c['title']} § {c['section']} [{c['source']}]{status}{notes}"


@app.command("health")
def health(org: str = typer.Option("default", "--org"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Readiness score with itemised reasons, worst first."""
    with _session(org) as (session, org_id):
        report = service.knowledge_health(
            session, org_id=org_id, data_dir=get_settings().data_dir, embedder=_embedder()
        )
    if as_json:
        typer.echo(json.dumps(report, default=str))
        return
    typer.echo(f"readiness {report['readiness']}/100 over {report['articles']} articles")
    for reason in report["reasons"]:
        typer.echo(f"  -{reason['points']:>5}  {reason['reason']} ({reason['count']})")
    _section("worst articles", report["worst_articles"], lambda r: f"{r['issues']} issue(s): {r['title']}")
    _section(
        "conflicts",
        report["conflicts"],
        lambda r: (
            f'{r["a_title"]} ({r["a_source"]}): "{r["a_says"]}"\n'
            f'      vs {r["b_title"]} ({r["b_source"]}): "{r["b_says"]}"'
        ),
    )
    _section(
        "near-duplicates",
        report["duplicates"],
        lambda r: f"{r['a_title']} ({r['a_source']}) ~ {r['b_title']} ({r['b_source']}), {r['similarity']}",
    )
    _section("stale", report["stale"], lambda r: f"{r['title']}: {'; '.join(r['reasons'])}")
    _section(
        "coverage gaps",
        report["coverage_gaps"],
        lambda r: (
            f"{r['intent']} ({r['interactions']:,} interactions): closest '{r['best_article'] or '-'}' at "
            f"{r['best_confidence']:.0%}; "
            + (f"{r['answered']} of {r['sampled']} customer questions answered" if r["sampled"] else "by intent name")
        ),
    )


def _section(title: str, rows: list[dict[str, Any]], line: Callable[[dict[str, Any]], str]) -> None:
    """A titled list of the report's rows, skipped when empty."""
    if rows:
        typer.echo(f"{title}:")
        for row in rows:
            typer.echo(f"  {line(row)}")


def _print(rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    for row in rows:
        typer.echo(line(row))
