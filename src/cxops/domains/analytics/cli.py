"""`cxops analytics metrics|export`: the metrics API from the command line (same checks, same numbers)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import typer
from sqlalchemy import select

from cxops.core.cli import open_db
from cxops.core.config import get_settings
from cxops.core.errors import CxopsError
from cxops.core.models import Organisation
from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.compute.export import columns_of, to_csv, to_parquet
from cxops.domains.analytics.config import load_analytics_config
from cxops.domains.analytics.ports import AnalyticsPorts
from cxops.domains.analytics.service import run_metrics

app = typer.Typer(help="Analytics: metrics sliced by hierarchy, queue, channel, intent and time.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Analytics commands."""


def _metrics(org: str, params: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    factory = open_db(settings)
    config = load_analytics_config().model_copy(update={"background_reload": False})
    with factory() as session:
        org_id = session.scalar(select(Organisation.id).where(Organisation.slug == org))
        if org_id is None:
            raise CxopsError(f"no organisation with slug {org!r}", field="--org")
        return run_metrics(session, org_id=org_id, params=params, cache=FrameCache(config), ports=AnalyticsPorts())


@app.command("metrics")
def metrics(
    org: str = typer.Option(..., "--org", help="organisation slug"),
    names: str = typer.Option("", "--metrics", help="comma-separated metric names (default: the standard set)"),
    by: str = typer.Option("", "--by", help="comma-separated dimensions"),
    grain: str = typer.Option("none", "--grain", help="15min, 30min, hour, day, week or none"),
    limit: int = typer.Option(200, "--limit"),
    fmt: str = typer.Option("json", "--format", help="json, csv or parquet"),
    out: Path | None = typer.Option(None, "--out", help="write here instead of standard output"),
) -> None:
    """Compute metrics for an organisation and print them (JSON) or write a CSV/Parquet table."""
    if fmt not in ("json", "csv", "parquet"):
        typer.echo(f"error: --format must be json, csv or parquet, not {fmt!r}", err=True)
        raise typer.Exit(2)
    try:
        body = _metrics(org, {"metrics": names, "by": by, "grain": grain, "limit": limit})
    except CxopsError as exc:
        typer.echo(f"error: {exc.message}" + (f" ({exc.field})" if exc.field else ""), err=True)
        raise typer.Exit(2) from None
    cols = columns_of(body["rows"], ["bucket", *body["by"]])
    data = orjson.dumps(body, option=orjson.OPT_INDENT_2) if fmt == "json" else None
    if fmt == "csv":
        data = to_csv(body["rows"], cols)
    elif fmt == "parquet":
        data = to_parquet(body["rows"], cols)
    assert data is not None
    if out is not None:
        out.write_bytes(data)
    elif fmt == "parquet":
        typer.echo("error: Parquet is binary: give --out FILE", err=True)
        raise typer.Exit(2)
    else:
        sys.stdout.write(data.decode() + "\n")
