"""Replay of tau2-bench ground-truth write actions through the policy engine and the sandbox.

Each task starts from the pristine database (as in tau2) and establishes its own context: the identity the
conversation verified (retail: the user found by the task's find_user_id_by_* call; airline: the user id the
customer states), explicit confirmation of each exact action, the items list confirmed, and for airline
cancellations the reason the customer gives (table CANCEL_CONTEXT, read from each task's instructions).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cxops.domains.actions.compute.catalogue import validate_params
from cxops.domains.actions.policy.engine import Decision, build_context, evaluate_action, time_facts
from cxops.domains.actions.policy.registry import default_catalogue, default_packs
from cxops.domains.actions.sandbox.connector import SandboxConnector, data_dir

#: 2024-05-15 15:00 EST, the benchmark's "now" (airline policy.md), used as the decision time.
BENCH_NOW = "2024-05-15T19:00:00+00:00"
#: Cancellation context per (task, reservation), from the task's instructions.
CANCEL_CONTEXT: dict[tuple[str, str], dict[str, Any]] = {
    ("7", "XEHM4B"): {"reason": "health"},  # "You are sick" (upgraded to business first)
    ("7", "59XX6W"): {"reason": "health"},  # "You are sick"; insured
    ("14", "K1NW8N"): {"reason": "change_of_plan"},  # booked within 24 h
    ("23", "K1NW8N"): {"reason": "change_of_plan"},  # booked within 24 h
    ("19", "Z7GOZK"): {"reason": "health"},  # "cancel the trip using the travel insurance as you feel unwell"
    ("29", "VA5SGQ"): {"reason": "health"},  # "mention your health problem"; insured
    ("39", "8C8K4E"): {"reason": "change_of_plan"},  # business
    ("39", "LU15PA"): {"reason": "change_of_plan"},  # business
    ("39", "MSJ4OA"): {"reason": "change_of_plan", "refund_waived": True},  # "proceed anyway" without refund
    ("42", "FDZ0T5"): {"reason": "other"},  # business
    ("42", "HSR97W"): {"reason": "other"},  # business
}
_USER_ID = re.compile(r"\b[a-z]+_[a-z]+_\d+\b")


@dataclass
class Case:
    """One write action with the context its task established."""

    system: str
    task_id: str
    action: str
    params: dict[str, Any]
    context: dict[str, Any]
    trust: dict[str, Any] = field(default_factory=dict)
    velocity: dict[str, Any] = field(default_factory=dict)
    time: str = BENCH_NOW


@dataclass
class Harness:
    """Policy engine + sandbox for one organisation, timing every decision."""

    sandbox: SandboxConnector = field(default_factory=SandboxConnector)
    org_id: uuid.UUID = field(default_factory=uuid.uuid4)
    timings_ms: list[float] = field(default_factory=list)
    undo: list[tuple[Case, dict[str, Any]]] = field(default_factory=list)

    def decide(self, case: Case) -> Decision:
        """Validate, read the entity state, evaluate; all is timed except the state read (I/O in production)."""
        started = time.perf_counter()
        spec = default_catalogue().get(case.action)
        pack = default_packs()[spec.system]
        params = validate_params(spec, case.params)
        raw = dict(case.context)
        if raw.pop("confirmed", False):
            raw["confirmation"] = {"action": case.action, "params": case.params}
        ctx = build_context(raw, case.action, params)
        read_started = time.perf_counter()
        entity = self.sandbox.read_state(org_id=self.org_id, action=case.action, params=params, context=ctx)
        started += time.perf_counter() - read_started
        decision = evaluate_action(
            pack,
            spec,
            params=params,
            entity=entity,
            context=ctx,
            trust=case.trust,
            velocity=case.velocity,
            time=time_facts(_parse(case.time), pack.business_hours),
        )
        self.timings_ms.append((time.perf_counter() - started) * 1000)
        return decision

    def execute(self, case: Case) -> dict[str, Any]:
        """Execute on the sandbox, remembering the outcome so `rewind` can undo it."""
        outcome = self.sandbox.execute(
            org_id=self.org_id, action=case.action, params=case.params, idempotency_key=uuid.uuid4().hex
        )
        self.undo.append((case, outcome))
        return outcome

    def rewind(self) -> None:
        """Compensate every execution since the last rewind, newest first: back to the pristine data."""
        while self.undo:
            case, outcome = self.undo.pop()
            self.sandbox.compensate(org_id=self.org_id, action=case.action, params=case.params, outcome=outcome)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def load_tasks(system: str) -> list[dict[str, Any]]:
    """The tau2 tasks of `system` (retail or airline)."""
    return json.loads(Path(data_dir() / system / "tasks.json").read_text(encoding="utf-8"))


def _retail_identity(db: dict[str, Any], action: dict[str, Any]) -> tuple[str, str] | None:
    args = action["arguments"]
    for uid, user in db["users"].items():
        if action["name"] == "find_user_id_by_email" and user["email"] == args["email"]:
            return uid, "email"
        name = user["name"]
        if (
            action["name"] == "find_user_id_by_name_zip"
            and name["first_name"] == args["first_name"]
            and name["last_name"] == args["last_name"]
            and user["address"]["zip"] == args["zip"]
        ):
            return uid, "name_zip"
    return None


def _stated_identity(db: dict[str, Any], task: dict[str, Any]) -> tuple[str, str] | None:
    """Who the customer says they are (email, else name + zip), when the task lists no lookup call."""
    text = json.dumps(task["user_scenario"]["instructions"])
    for uid, user in db["users"].items():
        if user["email"] in text:
            return uid, "email"
    for uid, user in db["users"].items():
        name = user["name"]
        if name["first_name"] in text and name["last_name"] in text and user["address"]["zip"] in text:
            return uid, "name_zip"
    return None


def task_cases(system: str, task: dict[str, Any], db: dict[str, Any]) -> list[Case]:
    """The task's write actions in order, each with the context established before it."""
    writes = {n for n, s in default_catalogue().actions.items() if s.system == system}
    ctx: dict[str, Any] = {"actor_kind": "ai", "items_list_confirmed": True, "confirmed": True}
    if system == "airline":
        text = json.dumps(task["user_scenario"]["instructions"])
        found = _USER_ID.findall(text)
        if found:
            ctx.update(identity_verified=True, identity_method="user_id", authenticated_user_id=found[0])
    elif (stated := _stated_identity(db, task)) is not None:
        ctx.update(identity_verified=True, identity_method=stated[1], authenticated_user_id=stated[0])
    out: list[Case] = []
    for action in task["evaluation_criteria"].get("actions") or []:
        if action["name"] in ("find_user_id_by_email", "find_user_id_by_name_zip"):
            who = _retail_identity(db, action)
            if who:
                ctx.update(identity_verified=True, identity_method=who[1], authenticated_user_id=who[0])
        if action["name"] not in writes:
            continue
        case_ctx = dict(ctx)
        if action["name"] == "cancel_reservation":
            case_ctx.update(CANCEL_CONTEXT.get((task["id"], action["arguments"]["reservation_id"]), {}))
        velocity = {"customer_day": len(out)}
        out.append(Case(system, task["id"], action["name"], dict(action["arguments"]), case_ctx, velocity=velocity))
    return out


def replay(system: str, harness: Harness) -> dict[str, Any]:
    """Replay every ground-truth write of `system`; returns counts and the false blocks found."""
    total = executed = 0
    false_blocks: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for task in load_tasks(system):
        harness.rewind()
        db = harness.sandbox.db(harness.org_id, system)
        for case in task_cases(system, task, db):
            total += 1
            decision = harness.decide(case)
            if decision.outcome != "allow":
                _classify_block(harness, case, decision, false_blocks, refused)
                continue
            try:
                harness.execute(case)
                executed += 1
            except Exception as exc:  # allowed, yet the benchmark's own tool refuses it: reported, not hidden
                refused.append(
                    {"task": case.task_id, "action": case.action, "allowed": True, "tool_error": str(exc)[:200]}
                )
    return {"writes": total, "executed": executed, "false_blocks": false_blocks, "refused": refused}


def _classify_block(
    harness: Harness, case: Case, decision: Decision, false_blocks: list[dict[str, Any]], refused: list[dict[str, Any]]
) -> None:
    """A blocked ground-truth action is a false block unless the benchmark's own tool refuses it too."""
    row = {"task": case.task_id, "action": case.action, "rules": decision.rule_ids}
    try:
        outcome = harness.execute(case)
    except Exception as exc:
        refused.append({**row, "tool_error": str(exc)[:200]})
        return
    harness.sandbox.compensate(org_id=harness.org_id, action=case.action, params=case.params, outcome=outcome)
    harness.undo.pop()
    false_blocks.append(row)
