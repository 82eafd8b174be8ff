"""Policy coverage per intent: how much of what AI is asked to do for an intent the policy packs govern.

The actions typical for an intent are read from the proposals made in its contacts (a proposal's
`context.interaction_id` names the contact, whose intent the interactions domain holds). Per intent, policy
coverage = governed action steps / action steps of the proposals made for its contacts since the window start, where an
action is governed when the active pack of its system has a rule written for it (policy/coverage.py).
Intents with no proposal in the window are absent: there is no evidence of what they need governed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.domains.actions.models import ActionProposal
from cxops.domains.actions.policy.coverage import governed_actions, step_coverage
from cxops.domains.actions.runtime import ActionsRuntime
from cxops.domains.interactions.public import Interaction

MAX_PROPOSALS = 100_000  # newest proposals read per computation (bounded query)


def _steps(row_steps: Any, action: str) -> list[str]:
    if isinstance(row_steps, list):
        names = [str(s.get("action")) for s in row_steps if isinstance(s, dict) and s.get("action")]
        if names:
            return names
    return [action]


def policy_coverage_by_intent(
    session: Session, runtime: ActionsRuntime, *, org_id: uuid.UUID, intents: Sequence[str], since: datetime
) -> dict[str, dict[str, Any]]:
    """{intent: {coverage, steps, governed, ungoverned_actions}} for intents with proposals since `since`."""
    ref = ActionProposal.context["interaction_id"].as_string()
    rows = session.execute(
        select(ref, ActionProposal.action, ActionProposal.steps)
        .where(ActionProposal.org_id == org_id, ActionProposal.created_at >= since, ref.is_not(None))
        .order_by(ActionProposal.created_at.desc())
        .limit(MAX_PROPOSALS)
    ).all()
    by_contact: dict[uuid.UUID, list[str]] = {}
    for interaction_ref, action, steps in rows:
        try:
            key = uuid.UUID(str(interaction_ref))
        except ValueError:
            continue
        by_contact.setdefault(key, []).extend(_steps(steps, action))
    wanted = set(intents)
    steps_by_intent: dict[str, list[str]] = {}
    ids = list(by_contact)
    for start in range(0, len(ids), 500):
        found = session.execute(
            select(Interaction.id, Interaction.intent).where(
                Interaction.org_id == org_id, Interaction.id.in_(ids[start : start + 500])
            )
        )
        for interaction_id, intent in found:
            if intent in wanted:
                steps_by_intent.setdefault(intent, []).extend(by_contact[interaction_id])
    governed = governed_actions(runtime.catalogue, runtime.packs)
    shares = step_coverage(steps_by_intent, governed)
    return {
        intent: {
            "coverage": shares[intent],
            "steps": len(steps),
            "governed": sum(n in governed for n in steps),
            "ungoverned_actions": sorted({n for n in steps if n not in governed}),
        }
        for intent, steps in steps_by_intent.items()
    }
