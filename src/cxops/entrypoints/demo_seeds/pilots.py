"""Demo seed for proving value: one running pilot of the AI agent on two intents, with a first recorded look.

Everything goes through the pilots services, as /v1/pilots does: `service.create_pilot` (the plan, its sample size
and monitoring boundaries computed by the domain), `service.set_status` to start it, and `service.take_look`, which
computes the outcomes from the demo's interactions (verified resolution, repeat contacts, escalations, CSAT, handle
time), spends the look's alpha and records the gate decision. The trust domain is bound as the API binds it.

The plan reads the two intents' four weeks before the start (the pre-period) for the design effect of clustering
by customer; the demo's customers' outcomes are independent, so it is about 1 and the planned sample is the
independent one. The baseline stays explicit (BASELINE_RATE): a demo shorter than seven weeks has no pre-period to
measure it on.

The pilot started three weeks before `now` with a randomised 50% holdout by customer. The demo generator does not
route by pilot arm, so the look compares two random halves of the same traffic: it shows how the gate reads the
data, not an effect of the AI agent. The arm split uses the salt the domain draws for every pilot, so the figures
of the look differ from one demo database to the next.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.core.db import unit_of_work
from cxops.core.errors import CxopsError
from cxops.domains.pilots import repository, service
from cxops.domains.pilots.models import Pilot
from cxops.domains.pilots.schemas import PilotCreate, Scope
from cxops.entrypoints.trust_bindings import PilotTrustEffects

PILOT_NAME = "AI agent for order status and password resets"
HYPOTHESIS = (
    "Letting the AI agent handle order-status and password-reset contacts end to end raises verified resolution "
    "(resolved, with no repeat contact on the same intent within 7 days) by 3 points, without more repeat contacts, "
    "escalations or lower CSAT."
)
INTENTS = ["order_status", "password_reset"]
STARTED_DAYS_AGO = 21
PLANNED_WEEKS = 8
#: Verified resolution of these intents before the pilot (about 0.78 in the demo data), and the effect to detect.
BASELINE_RATE = 0.78
MDE = 0.03


def seed(factory: sessionmaker[Session], *, org_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """Create and start the demo pilot and take its first look (idempotent)."""
    created = False
    with unit_of_work(factory) as session:
        pilot = session.scalar(select(Pilot).where(Pilot.org_id == org_id, Pilot.name == PILOT_NAME))
        if pilot is None:
            starts = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=STARTED_DAYS_AGO)
            data = PilotCreate(
                name=PILOT_NAME,
                hypothesis=HYPOTHESIS,
                treatment="ai_agent",
                scope=Scope(intents=INTENTS),
                baseline_rate=BASELINE_RATE,
                mde=MDE,
                alpha=0.05,
                power=0.8,
                looks=[0.25, 0.5, 0.75, 1.0],
                holdout_share=0.5,
                repeat_window_days=7,
                human_minute_cost=0.9,
                starts_at=starts,
                ends_at=starts + timedelta(weeks=PLANNED_WEEKS),
            )
            pilot = service.create_pilot(session, org_id=org_id, data=data)
            service.set_status(pilot, "running")
            created = True
        pilot_id = pilot.id
    look_note = _first_look(factory, pilot_id)
    with unit_of_work(factory) as session:
        pilot = session.get(Pilot, pilot_id)
        assert pilot is not None
        head = (
            f"pilot '{pilot.name}' {pilot.status} since {pilot.starts_at.date().isoformat()} "
            f"({', '.join(INTENTS)}; {pilot.holdout_share:.0%} holdout by customer; "
            f"{pilot.planned_n_per_arm:,} contacts per arm planned)"
        )
    if not created and look_note is None:
        return f"Pilots: {head} already there; nothing added"
    return f"Pilots: {head} {'created' if created else 'kept'}; {look_note or 'no new look'}"


def _first_look(factory: sessionmaker[Session], pilot_id: uuid.UUID) -> str | None:
    """Take the pilot's first look if it has none; a short note on the decision (or why there is no look yet)."""
    with unit_of_work(factory) as session:
        pilot = session.get(Pilot, pilot_id)
        if pilot is None or pilot.status != "running" or repository.looks_of(session, pilot_id):
            return None
        try:
            look = service.take_look(session, pilot=pilot, trust=PilotTrustEffects())
        except CxopsError as exc:
            return f"no look yet ({exc.message})"
        primary = look.report["primary"]
        return (
            f"look {look.seq} at {look.fraction:.0%} of the planned sample: {look.decision} "
            f"(verified resolution {primary['treatment']:.1%} treatment vs {primary['control']:.1%} control)"
        )
