"""Calibration against human evaluators, and coaching per agent (human or AI)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxops.core.errors import ValidationFailed
from cxops.core.repository import insert_ignore
from cxops.domains.interactions.public import Interaction
from cxops.domains.qa.compute.calibration import agreement
from cxops.domains.qa.models import QaEvaluation, QaHumanEvaluation

RESULTS = {"pass": "pass", "yes": "pass", "fail": "fail", "no": "fail", "na": "na", "n/a": "na"}
MAX_ROWS = 50_000


def _interaction_ids(
    session: Session, org_id: uuid.UUID, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    out: dict[tuple[str, str], uuid.UUID] = {}
    for source, ext in keys:
        row = session.scalar(
            select(Interaction.id).where(
                Interaction.org_id == org_id, Interaction.source == source, Interaction.external_id == ext
            )
        )
        if row is not None:
            out[(source, ext)] = row
    return out


def import_csv(session: Session, *, org_id: uuid.UUID, text: str) -> dict[str, Any]:
    """Human verdicts from CSV `source,external_id,evaluator,criterion,result`; bad rows reported by line."""
    reader = csv.DictReader(io.StringIO(text))
    need = {"source", "external_id", "evaluator", "criterion", "result"}
    if not reader.fieldnames or need - set(reader.fieldnames):
        raise ValidationFailed(f"the CSV needs the columns {sorted(need)}", field="header")
    rows = list(reader)[:MAX_ROWS]
    ids = _interaction_ids(session, org_id, {(r["source"], r["external_id"]) for r in rows})
    good, errors = [], []
    for line, r in enumerate(rows, start=2):
        result = RESULTS.get((r.get("result") or "").strip().lower())
        iid = ids.get((r["source"], r["external_id"]))
        if iid is None:
            errors.append(
                {
                    "line": line,
                    "field": "external_id",
                    "message": f"unknown interaction {r['source']}/{r['external_id']}",
                }
            )
        elif result is None:
            errors.append({"line": line, "field": "result", "message": "result must be pass, fail or na"})
        elif not (r.get("criterion") or "").strip() or not (r.get("evaluator") or "").strip():
            errors.append({"line": line, "field": "criterion", "message": "criterion and evaluator are required"})
        else:
            good.append(
                {
                    "id": uuid.uuid4(),
                    "org_id": org_id,
                    "interaction_id": iid,
                    "evaluator": r["evaluator"].strip(),
                    "criterion": r["criterion"].strip(),
                    "result": result,
                    "source": "csv",
                }
            )
    insert_ignore(session, QaHumanEvaluation, good, ["org_id", "interaction_id", "evaluator", "criterion"])
    return {"received": len(rows), "imported": len(good), "failed": len(errors), "errors": errors[:200]}


def import_connect(
    session: Session, *, org_id: uuid.UUID, text: str, source: str, mapping: dict[str, str]
) -> dict[str, Any]:
    """An Amazon Connect evaluation form output; `mapping` maps question texts (or ref ids) to criterion ids."""
    try:
        doc = json.loads(text)
        meta, questions = doc["metadata"], doc["questions"]
        contact, evaluator = meta["contactId"], meta.get("evaluator") or "connect"
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValidationFailed(f"not an Amazon Connect evaluation form output: {exc}", field="body") from None
    iid = _interaction_ids(session, org_id, {(source, contact)}).get((source, contact))
    if iid is None:
        raise ValidationFailed(f"unknown interaction {source}/{contact}: ingest the contact first", field="contactId")
    good, skipped = [], []
    for q in questions:
        criterion = mapping.get(q.get("questionText", "")) or mapping.get(q.get("questionRefId", ""))
        if criterion is None:
            skipped.append(q.get("questionText", q.get("questionRefId")))
            continue
        good.append(
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "interaction_id": iid,
                "evaluator": evaluator,
                "criterion": criterion,
                "result": _connect_result(q),
                "source": "amazon-connect",
            }
        )
    insert_ignore(session, QaHumanEvaluation, good, ["org_id", "interaction_id", "evaluator", "criterion"])
    return {"received": len(questions), "imported": len(good), "failed": 0, "unmapped_questions": skipped}


def _connect_result(q: dict[str, Any]) -> str:
    answer = q.get("answer") or {}
    if (answer.get("metadata") or {}).get("notApplicable") or (q.get("score") or {}).get("notApplicable"):
        return "na"
    selected = [v.get("valueText", "").lower() for v in answer.get("values", []) if v.get("selected")]
    if selected:
        return "pass" if selected[0] in ("yes", "pass", "true") else "fail"
    pct = (q.get("score") or {}).get("percentage")
    return "na" if pct is None else ("pass" if pct >= 50 else "fail")


def calibration_report(session: Session, *, org_id: uuid.UUID) -> list[dict[str, Any]]:
    """Per criterion: pairs, percent agreement and Cohen's kappa; the criteria that disagree most first."""
    humans = list(session.scalars(select(QaHumanEvaluation).where(QaHumanEvaluation.org_id == org_id)))
    # only the automatic evaluations of contacts a human reviewed (it read every evaluation: 11 s on the demo)
    reviewed = sorted({h.interaction_id for h in humans})
    autos: dict[tuple[uuid.UUID, str], str] = {}
    for start in range(0, len(reviewed), 500):
        stmt = select(QaEvaluation.interaction_id, QaEvaluation.criteria).where(
            QaEvaluation.org_id == org_id, QaEvaluation.interaction_id.in_(reviewed[start : start + 500])
        )
        for interaction_id, criteria in session.execute(stmt):
            for c in criteria:
                autos[(interaction_id, c["criterion"])] = c["status"]
    pairs = [
        (h.criterion, autos[(h.interaction_id, h.criterion)], h.result)
        for h in humans
        if (h.interaction_id, h.criterion) in autos
    ]
    return [
        {
            "criterion": a.criterion,
            "pairs": a.pairs,
            "percent_agreement": round(a.percent_agreement, 4),
            "kappa": None if a.kappa is None else round(a.kappa, 4),
            "auto_pass_rate": round(a.auto_pass_rate, 4),
            "human_pass_rate": round(a.human_pass_rate, 4),
        }
        for a in agreement(pairs)
    ]


def coaching(session: Session, *, org_id: uuid.UUID, agent_id: uuid.UUID, examples: int = 3) -> dict[str, Any]:
    """An agent's (human or AI) pass rate per criterion: strengths, weakest criteria with failed examples."""
    evs = list(
        session.scalars(
            select(QaEvaluation)
            .where(QaEvaluation.org_id == org_id, QaEvaluation.agent_id == agent_id)
            .order_by(QaEvaluation.scored_at.desc())
            .limit(5000)
        )
    )
    if not evs:
        return {"agent_id": str(agent_id), "evaluations": 0, "mean_score": None, "strengths": [], "weakest": []}
    stats: dict[str, dict[str, Any]] = defaultdict(lambda: {"pass": 0, "fail": 0, "examples": []})
    for ev in evs:
        for c in ev.criteria:
            if c["status"] in ("pass", "fail"):
                s = stats[c["criterion"]]
                s[c["status"]] += 1
                if c["status"] == "fail" and len(s["examples"]) < examples:
                    s["examples"].append(
                        {
                            "evaluation_id": str(ev.id),
                            "interaction_id": str(ev.interaction_id),
                            "evidence": c["evidence"],
                            "detail": c["detail"],
                        }
                    )
    rows = [
        {
            "criterion": k,
            "pass_rate": round(v["pass"] / (v["pass"] + v["fail"]), 4),
            "n": v["pass"] + v["fail"],
            "failed_examples": v["examples"],
        }
        for k, v in stats.items()
    ]
    rows.sort(key=lambda r: (r["pass_rate"], -r["n"]))
    return {
        "agent_id": str(agent_id),
        "agent_kind": evs[0].agent_kind,
        "evaluations": len(evs),
        "mean_score": round(sum(e.total for e in evs) / len(evs), 2),
        "strengths": [r for r in reversed(rows[-3:]) if r["pass_rate"] >= 0.5],
        "weakest": rows[:3],
    }
