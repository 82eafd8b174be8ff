"""HTTP routes of the pilots domain."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cxops.core.auth import ALL_ROLES, MANAGERS, READERS, Principal
from cxops.core.repository import get_scoped
from cxops.core.web import DbSession, require
from cxops.domains.pilots import repository, schemas, service
from cxops.domains.pilots.models import Pilot

router = APIRouter(prefix="/v1/pilots", tags=["pilots"])
Reader = Annotated[Principal, Depends(require(READERS))]
Manager = Annotated[Principal, Depends(require(MANAGERS))]
Anyone = Annotated[Principal, Depends(require(ALL_ROLES))]


@router.post("/plan", response_model=schemas.PlanOut)
def post_plan(data: schemas.PlanIn, session: DbSession, who: Reader) -> Any:
    """Sample size and monitoring boundaries for a planned pilot (power calculation before start).

    With a scope, the baseline (unless given) and the design effect of clustering by customer come from the
    scope's recent history in the caller's organisation.
    """
    return service.plan_from_history(session, org_id=who.org_id, data=data)


@router.post("", response_model=schemas.PilotRead, status_code=201)
def post_pilot(data: schemas.PilotCreate, session: DbSession, who: Manager) -> Any:
    """Define a pilot: scope, treatment, holdout share and plan."""
    return service.create_pilot(session, org_id=who.org_id, data=data)


@router.get("", response_model=list[schemas.PilotRead])
def get_pilots(session: DbSession, who: Reader) -> Any:
    return repository.list_pilots(session, who.org_id)


@router.get("/{pilot_id}", response_model=schemas.PilotRead)
def get_pilot(pilot_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    return get_scoped(session, Pilot, who.org_id, pilot_id, "pilot")


@router.post("/{pilot_id}/start", response_model=schemas.PilotRead)
def start(pilot_id: uuid.UUID, session: DbSession, who: Manager) -> Any:
    return service.set_status(get_scoped(session, Pilot, who.org_id, pilot_id, "pilot"), "running")


@router.post("/{pilot_id}/stop", response_model=schemas.PilotRead)
def stop(pilot_id: uuid.UUID, session: DbSession, who: Manager) -> Any:
    return service.set_status(get_scoped(session, Pilot, who.org_id, pilot_id, "pilot"), "stopped")


@router.get("/{pilot_id}/assignment/{customer_id}", response_model=schemas.Assignment)
def get_assignment(
    pilot_id: uuid.UUID,
    customer_id: str,
    session: DbSession,
    who: Anyone,
) -> Any:
    """Which arm a customer is in (routing and assist apply the treatment to the treatment arm only)."""
    return service.assignment(get_scoped(session, Pilot, who.org_id, pilot_id, "pilot"), customer_id)


@router.post("/{pilot_id}/looks", response_model=schemas.LookRead, status_code=201)
def post_look(pilot_id: uuid.UUID, request: Request, session: DbSession, who: Reader) -> Any:
    """Look at the results now: recorded, spends this look's alpha, returns the gate decision and its reasons."""
    pilot = get_scoped(session, Pilot, who.org_id, pilot_id, "pilot")
    return service.take_look(session, pilot=pilot, trust=getattr(request.app.state, "pilot_trust", None))


@router.get("/{pilot_id}/looks", response_model=list[schemas.LookRead])
def get_looks(pilot_id: uuid.UUID, session: DbSession, who: Reader) -> Any:
    """Every look taken so far (reading them spends nothing)."""
    get_scoped(session, Pilot, who.org_id, pilot_id, "pilot")
    return repository.looks_of(session, pilot_id)


@router.get("/{pilot_id}/export")
def export(pilot_id: uuid.UUID, session: DbSession, who: Reader, format: Literal["csv", "json"] = "csv") -> Response:
    """The pilot's looks with every comparison, as CSV (one row per look and metric) or JSON."""
    pilot = get_scoped(session, Pilot, who.org_id, pilot_id, "pilot")
    looks = repository.looks_of(session, pilot.id)
    if format == "json":
        body = schemas.PilotRead.model_validate(pilot).model_dump_json()
        items = ",".join(schemas.LookRead.model_validate(lk).model_dump_json() for lk in looks)
        return Response(f'{{"pilot": {body}, "looks": [{items}]}}', media_type="application/json")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "look",
            "looked_at",
            "fraction",
            "decision",
            "metric",
            "treatment",
            "control",
            "diff",
            "ci_low",
            "ci_high",
            "p_value",
            "n_treatment",
            "n_control",
        ]
    )
    for lk in looks:
        for c in [lk.report["primary"], *lk.report["guardrails"]]:
            writer.writerow(
                [
                    lk.seq,
                    lk.looked_at.isoformat(),
                    round(lk.fraction, 4),
                    lk.decision,
                    c["metric"],
                    c["treatment"],
                    c["control"],
                    c["diff"],
                    c["ci_low"],
                    c["ci_high"],
                    c["p_value"],
                    c["n_treatment"],
                    c["n_control"],
                ]
            )
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="pilot-{pilot.id}.csv"'},
    )
