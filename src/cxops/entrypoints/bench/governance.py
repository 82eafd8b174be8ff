"""`cxops bench governance`: replay tau2 ground-truth writes (false blocks) and generated violations (caught).

Keys: false_blocks (ground-truth writes denied or sent to approval that the benchmark's own tool would
execute), violations_caught_ratio (generated violations denied, sent to approval or rejected as invalid
input), decision_p95_ms (policy evaluation only; state reads from the sandbox are timed apart).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np

from cxops.core.errors import CxopsError
from cxops.domains.actions.policy.registry import default_packs
from cxops.entrypoints.bench import _governance_airline as air
from cxops.entrypoints.bench import _governance_violations as vio
from cxops.entrypoints.bench._governance_api import api_dry_run_latency
from cxops.entrypoints.bench._governance_replay import Case, Harness, _classify_block, load_tasks, task_cases

#: Amount above which G6-after-hours applies, per pack (mirrors the packs' rules).
NIGHT_THRESHOLD = {"retail": 1000, "airline": 5000}


class Tally:
    """Counts of generated violations per rule."""

    def __init__(self) -> None:
        self.generated: dict[str, int] = defaultdict(int)
        self.caught: dict[str, int] = defaultdict(int)
        self.targeted: dict[str, int] = defaultdict(int)
        self.invalid_input = 0
        self.missed: list[dict[str, Any]] = []

    def check(self, harness: Harness, rule: str, case: Case) -> None:
        self.generated[rule] += 1
        try:
            decision = harness.decide(case)
        except CxopsError:
            self.caught[rule] += 1
            self.invalid_input += 1
            return
        if decision.outcome != "allow":
            self.caught[rule] += 1
            self.targeted[rule] += rule in decision.rule_ids
        else:
            self.missed.append({"rule": rule, "task": case.task_id, "action": case.action})


def _per_case(case: Case, db: dict[str, Any], facts: dict[str, Any]) -> Iterator[tuple[str, Case]]:
    yield from vio._generic(case, db)
    yield from (vio._retail_rules(case, db) if case.system == "retail" else air.airline_case_rules(case, db))
    if facts["action"]["risk"] == "high" and facts["entity"]["amount"] > NIGHT_THRESHOLD[case.system]:
        yield "G6-after-hours", vio._with(case, time=vio.NIGHT)


def _run_system(system: str, harness: Harness, tally: Tally, limit: int | None) -> dict[str, Any]:
    writes = executed = 0
    false_blocks: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    harness.sandbox.reset(harness.org_id)
    for task in load_tasks(system)[:limit]:
        harness.rewind()
        db = harness.sandbox.db(harness.org_id, system)
        for case in task_cases(system, task, db):
            writes += 1
            decision = harness.decide(case)
            if decision.outcome != "allow":
                _classify_block(harness, case, decision, false_blocks, refused)
                continue
            for rule, bad in _per_case(case, db, decision.facts):
                tally.check(harness, rule, bad)
            try:
                harness.execute(case)
                executed += 1
            except CxopsError as exc:
                refused.append({"task": case.task_id, "action": case.action, "allowed": True, "error": exc.message})
                continue
            if system == "retail":
                for rule, bad in vio.sequenced_retail(case):
                    tally.check(harness, rule, bad)
    harness.rewind()
    db = harness.sandbox.db(harness.org_id, system)
    for rule, bad in vio.retail_scans(db) if system == "retail" else air.scans(db):
        tally.check(harness, rule, bad)
    return {"writes": writes, "executed": executed, "false_blocks": false_blocks, "tool_refused": refused}


def run(quick: bool = False) -> dict[str, Any]:
    """Replay and violation generation over both tau2 domains; see the module docstring."""
    harness, tally = Harness(), Tally()
    limit = 25 if quick else None
    per_system = {s: _run_system(s, harness, tally, limit) for s in ("retail", "airline")}
    all_rules = sorted({r.id for p in default_packs().values() for r in p.rules})
    total, caught = sum(tally.generated.values()), sum(tally.caught.values())
    timings = np.array(harness.timings_ms)
    return {
        "false_blocks": sum(len(v["false_blocks"]) for v in per_system.values()),
        "violations_caught_ratio": round(caught / total, 4) if total else 0.0,
        "decision_p95_ms": round(float(np.percentile(timings, 95)), 4),
        "decision_p50_ms": round(float(np.percentile(timings, 50)), 4),
        "decisions": int(timings.size),
        "ground_truth_writes": {s: v["writes"] for s, v in per_system.items()},
        "ground_truth_executed": {s: v["executed"] for s, v in per_system.items()},
        "ground_truth_refused_by_tau2_tool": [r for v in per_system.values() for r in v["tool_refused"]],
        "false_block_details": [r for v in per_system.values() for r in v["false_blocks"]],
        "violations_generated": total,
        "violations_caught": caught,
        "violations_rejected_as_invalid_input": tally.invalid_input,
        "targeted_rule_fired_ratio": round(sum(tally.targeted.values()) / total, 4) if total else 0.0,
        "rules": len(all_rules),
        "rules_without_generated_violation": [r for r in all_rules if tally.generated.get(r, 0) == 0],
        "violations_missed": tally.missed[:20],
        **api_dry_run_latency(50 if quick else 300),
        "quick": quick,
    }
