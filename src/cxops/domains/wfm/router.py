"""HTTP routes of workforce management (/v1/wfm): planners are admins, supervisors and analysts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from cxops.core.auth import READERS, Principal
from cxops.core.repository import get_scoped
from cxops.core.web import DbSession, require
from cxops.domains.wfm import operations, repository, schemas, service
from cxops.domains.wfm.models import ForecastRun, Schedule, StaffingPlan

router = APIRouter(prefix="/v1/wfm", tags=["wfm"])
Planner = Annotated[Principal, Depends(require(READERS))]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.post("/forecasts", response_model=schemas.ForecastRunRead, status_code=201)
async def post_forecast(data: schemas.ForecastCreate, session: DbSession, who: Planner) -> Any:
    """Forecast every series (model chosen per series by rolling-origin backtest) and store the run."""
    return await run_in_threadpool(service.create_forecast, session, org_id=who.org_id, data=data)


@router.get("/forecasts", response_model=list[schemas.ForecastRunRead])
def list_forecasts(session: DbSession, who: Planner, limit: Limit = 20, offset: Offset = 0) -> Any:
    return repository.list_runs(session, ForecastRun, who.org_id, limit, offset)


@router.get("/forecasts/{run_id}", response_model=schemas.ForecastDetail)
def get_forecast(run_id: uuid.UUID, session: DbSession, who: Planner) -> Any:
    """A run with its points and, for interaction volumes, the actuals around it (forecast vs actual)."""
    run = get_scoped(session, ForecastRun, who.org_id, run_id, "forecast run")
    detail = schemas.ForecastRunRead.model_validate(run).model_dump()
    points = repository.forecast_points(session, run.id)
    return detail | {"points": points, "actuals": service.actuals(session, org_id=who.org_id, run=run)}


@router.post("/forecasts/{run_id}/reforecast")
def post_reforecast(run_id: uuid.UUID, data: schemas.ReforecastIn, session: DbSession, who: Planner) -> Any:
    """The rest of a day rescaled by the morning's actual volume."""
    return operations.reforecast(session, org_id=who.org_id, run_id=run_id, data=data)


@router.post("/staffing", response_model=schemas.StaffingRead, status_code=201)
async def post_staffing(data: schemas.StaffingCreate, session: DbSession, who: Planner) -> Any:
    """Human agents per interval after AI automation, under Erlang C or Erlang A."""
    return await run_in_threadpool(service.create_staffing, session, org_id=who.org_id, data=data)


@router.get("/staffing", response_model=list[schemas.StaffingRead])
def list_staffing(session: DbSession, who: Planner, limit: Limit = 20, offset: Offset = 0) -> Any:
    return repository.list_runs(session, StaffingPlan, who.org_id, limit, offset)


@router.get("/staffing/{plan_id}", response_model=schemas.StaffingDetail)
def get_staffing(plan_id: uuid.UUID, session: DbSession, who: Planner) -> Any:
    plan = get_scoped(session, StaffingPlan, who.org_id, plan_id, "staffing plan")
    detail = schemas.StaffingRead.model_validate(plan).model_dump()
    return detail | {"intervals": repository.staffing_intervals(session, plan.id)}


@router.post("/staffing/{plan_id}/what-if")
def post_what_if(plan_id: uuid.UUID, data: schemas.WhatIfIn, session: DbSession, who: Planner) -> Any:
    """Agents under a scenario (volume, automation of an intent, shrinkage, AHT) against the plan."""
    return operations.what_if(session, org_id=who.org_id, plan_id=plan_id, data=data)


@router.post("/schedules", response_model=schemas.ScheduleRead, status_code=201)
async def post_schedule(data: schemas.ScheduleCreate, session: DbSession, who: Planner) -> Any:
    """Solve a week of shifts for a plan (HiGHS) and store it with coverage and the gap to the LP bound."""
    return await run_in_threadpool(operations.create_schedule, session, org_id=who.org_id, data=data)


@router.get("/schedules", response_model=list[schemas.ScheduleRead])
def list_schedules(session: DbSession, who: Planner, limit: Limit = 20, offset: Offset = 0) -> Any:
    return repository.list_runs(session, Schedule, who.org_id, limit, offset)


@router.get("/schedules/{schedule_id}", response_model=schemas.ScheduleDetail)
def get_schedule(schedule_id: uuid.UUID, session: DbSession, who: Planner) -> Any:
    sched = get_scoped(session, Schedule, who.org_id, schedule_id, "schedule")
    detail = schemas.ScheduleRead.model_validate(sched).model_dump()
    return detail | {"coverage": sched.coverage, "shifts": repository.shifts(session, sched.id)}


@router.get("/schedules/{schedule_id}/adherence")
def get_adherence(
    schedule_id: uuid.UUID, since: datetime, until: datetime, session: DbSession, who: Planner
) -> dict[str, Any]:
    """Real-time adherence per agent from agent state events against the schedule."""
    return operations.adherence(session, org_id=who.org_id, schedule_id=schedule_id, since=since, until=until)
