"""`cxops wfm forecast|staff|schedule`: plan from the command line; each run is stored like the API's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from cxops.core.cli import open_db
from cxops.core.config import get_settings
from cxops.core.db import unit_of_work
from cxops.core.errors import CxopsError
from cxops.core.keys import ensure_organisation
from cxops.domains.wfm import operations, schemas, service

app = typer.Typer(help="Workforce management: forecast, staff, schedule.", no_args_is_help=True)
ORG = typer.Option("default", "--org", help="organisation slug")


@contextmanager
def _session(org: str) -> Iterator[tuple[Session, uuid.UUID]]:
    settings = get_settings()
    factory = open_db(settings)
    try:
        with unit_of_work(factory) as session:
            yield session, ensure_organisation(session, slug=org).id
    except CxopsError as exc:
        field = f" ({exc.field})" if exc.field else ""
        typer.echo(f"error{field}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    finally:
        factory.kw["bind"].dispose()


@app.command("forecast")
def forecast_cmd(
    csv: Path | None = typer.Option(None, "--csv", help="series_id,ts,y file; default: the interactions table"),
    metric: str = typer.Option("volume", "--metric", help="volume or aht (from interactions)"),
    freq: int = typer.Option(30, "--freq", help="interval minutes: 15, 30 or 60"),
    horizon: int = typer.Option(336, "--horizon", help="intervals to forecast per series"),
    duplicates: str = typer.Option("error", "--duplicates", help="error, sum, mean or last"),
    org: str = ORG,
) -> None:
    """Forecast each series with the model its backtest picks; prints the run id and the choice per series."""
    if csv is not None and not csv.is_file():
        typer.echo(f"error: {csv} is not a file", err=True)
        raise typer.Exit(2)
    text = csv.read_text(encoding="utf-8") if csv else None
    try:
        data = schemas.ForecastCreate(
            source="csv" if csv else "interactions",
            csv=text,
            metric=metric,
            freq_min=freq,
            horizon=horizon,
            duplicates=duplicates,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with _session(org) as (session, org_id):
        run = service.create_forecast(session, org_id=org_id, data=data)
        typer.echo(json.dumps({"forecast_run_id": str(run.id), "series": run.choices}, indent=2, default=str))


@app.command("staff")
def staff_cmd(
    run_id: uuid.UUID = typer.Option(..., "--run", help="forecast run id (volume)"),
    service_level: float | None = typer.Option(None, "--sl", help="for every queue; default: each queue's target"),
    threshold_s: float | None = typer.Option(None, "--threshold-s", help="for every queue; default: each queue's"),
    max_occupancy: float = typer.Option(0.85, "--max-occupancy"),
    shrinkage: float = typer.Option(0.3, "--shrinkage"),
    aht_s: float | None = typer.Option(None, "--aht-s", help="default: human AHT from interactions"),
    model: str = typer.Option("erlang_c", "--model", help="erlang_c or erlang_a"),
    patience_s: float | None = typer.Option(None, "--patience-s", help="mean patience for erlang_a"),
    org: str = ORG,
) -> None:
    """Agents per interval after AI automation; prints the plan id and totals per series."""
    try:
        targets = schemas.TargetsIn(
            service_level=service_level, threshold_s=threshold_s, max_occupancy=max_occupancy, shrinkage=shrinkage
        )
        data = schemas.StaffingCreate(
            forecast_run_id=run_id, targets=targets, aht_s=aht_s, model=model, patience_s=patience_s
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with _session(org) as (session, org_id):
        plan = service.create_staffing(session, org_id=org_id, data=data)
        typer.echo(json.dumps({"staffing_plan_id": str(plan.id), "series": plan.summary}, indent=2, default=str))


@app.command("schedule")
def schedule_cmd(
    plan_id: uuid.UUID = typer.Option(..., "--plan", help="staffing plan id"),
    week_start: str = typer.Option(..., "--week-start", help="the Monday the week starts (YYYY-MM-DD)"),
    max_weekly_hours: float = typer.Option(40, "--max-weekly-hours"),
    org: str = ORG,
) -> None:
    """Solve a week of shifts for directory agents (skills = queue codes); prints cost, LP bound and gap."""
    try:
        rules = schemas.RulesIn(max_weekly_hours=max_weekly_hours)
        data = schemas.ScheduleCreate(plan_id=plan_id, week_start=date.fromisoformat(week_start), rules=rules)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with _session(org) as (session, org_id):
        s = operations.create_schedule(session, org_id=org_id, data=data)
        out = {
            "schedule_id": str(s.id),
            "status": s.status,
            "cost": s.cost,
            "lp_bound": s.lp_bound,
            "gap_ratio": s.gap_ratio,
            "solve_s": round(s.solve_s, 2),
            "notes": s.notes,
        }
        typer.echo(json.dumps(out, indent=2))
