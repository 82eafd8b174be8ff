"""The learning loop: the automation opportunity map per intent, and topics discovered in customer turns."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cxops.core.errors import ValidationFailed
from cxops.domains.analytics import repository, service
from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.compute import topics as topic_compute
from cxops.domains.analytics.compute.opportunity import ADVICE_RULES, opportunity_map
from cxops.domains.analytics.ports import COVERAGE_BASIS, UNAVAILABLE, AnalyticsPorts

OPPORTUNITY_METRICS = (
    "volume",
    "ai_share",
    "ai_contacts",
    "containment_rate",
    "containment_rate_closed",
    "verified_automation_rate",
    "pending_verification",
    "repeat_rate",
    "csat",
    "aht_s",
)
COVERAGE_NOTE = (
    "knowledge coverage = share of a sample of the intent's customer questions that knowledge search answers; "
    "policy coverage = share of the action steps proposed in its contacts that a policy pack governs with a rule "
    "of its own. An intent without such evidence has that factor left out of its product and listed in `missing`"
)
POPULATION_NOTE = (
    "containment_rate counts every AI contact in range; containment_rate_closed and verified_automation_rate count "
    "only the AI contacts whose N-day repeat window has closed (pending_verification, the younger ones, are left "
    "out of both), so verified <= containment_rate_closed: compare those two, not containment_rate"
)
ADVICE_NOTE = (
    "advice = the first rule of `advice_rules` that holds (in order), with the rule number and a reason quoting "
    "the figures: evidence first, then pull back, then any coverage under 50% blocks expansion"
)


def opportunities(
    session: Session, *, org_id: uuid.UUID, params: Mapping[str, Any], cache: FrameCache, ports: AnalyticsPorts
) -> dict[str, Any]:
    """Per intent: volume x verified automation x knowledge x policy coverage, with a recommendation."""
    frame = cache.get(session, org_id).df
    query = service.parse_query(
        {**params, "metrics": ",".join(OPPORTUNITY_METRICS), "by": "intent", "grain": "none", "limit": 1000},
        latest=service.latest_start(frame),
        config=cache.config,
    )
    rows = [r for r in service.compute_rows(frame, query, {}) if r["intent"] != "(none)"]
    intents = [r["intent"] for r in rows]
    unavailable: dict[str, str] = {}
    coverage: dict[str, dict[str, float] | None] = {}
    basis: dict[str, str | None] = {}
    for name in ("knowledge", "policy"):
        port = getattr(ports, name)
        if port is None:
            unavailable[f"{name}_coverage"] = UNAVAILABLE[name]
            coverage[name], basis[f"{name}_coverage"] = None, None
        else:
            coverage[name] = dict(port.coverage(session, org_id=org_id, intents=intents))
            stated = getattr(port, "basis", None)  # optional: what the source's figure is (sample, period)
            basis[f"{name}_coverage"] = stated if isinstance(stated, str) and stated else COVERAGE_BASIS[name]
    mapped = opportunity_map(rows, knowledge=coverage["knowledge"], policy=coverage["policy"])
    body = service.page_of(query, mapped, unavailable, horizon=service.horizon_of(frame))
    body["rows"] = mapped
    body["coverage_basis"] = basis
    body["advice_rules"] = [dict(rule) for rule in ADVICE_RULES]
    body["notes"].extend([POPULATION_NOTE, COVERAGE_NOTE, ADVICE_NOTE])
    return body


def topics(
    session: Session,
    *,
    org_id: uuid.UUID,
    since: datetime,
    until: datetime,
    k: int,
    max_docs: int,
    unlabelled_only: bool,
) -> dict[str, Any]:
    """Topics of the newest `max_docs` contacts in range, with per-topic emerging alerts."""
    docs, observed_from = repository.topic_documents(
        session, org_id, since=since, until=until, limit=max_docs, unlabelled_only=unlabelled_only
    )
    body: dict[str, Any] = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "documents": len(docs),
        "unlabelled_only": unlabelled_only,
        "sampled_from": datetime.fromtimestamp(observed_from, UTC).isoformat(),
    }
    if len(docs) < topic_compute.MIN_DOCS:
        what = "unlabelled contacts" if unlabelled_only else "contacts"
        body.update(topics=[], alerts=[], note=f"only {len(docs)} {what} with customer turns in range; need 20")
        return body
    try:
        found = topic_compute.discover([d[2] for d in docs], k=k)
    except ValueError as exc:  # e.g. every word is a stop word
        raise ValidationFailed(f"cannot discover topics in this sample: {exc}", field="since") from None
    times = [d[0] for d in docs]
    trend = topic_compute.emerging(times, found.assignments, as_of=max(times) + 1, observed_from=observed_from)
    intents_by_topic: dict[int, dict[str, int]] = {}
    for (_, intent, _), topic in zip(docs, found.assignments, strict=True):
        counts = intents_by_topic.setdefault(int(topic), {})
        counts[intent or "(none)"] = counts.get(intent or "(none)", 0) + 1
    rows = [
        {**t, **trend[t["topic"]], "intents": _top(intents_by_topic.get(t["topic"], {}))}
        for t in sorted(found.topics, key=lambda t: -t["size"])
        if t["topic"] in trend  # k-means can leave a cluster empty (e.g. few distinct texts): nothing to show
    ]
    body.update(topics=rows, alerts=[r for r in rows if r["emerging"]])
    if rows and rows[0]["growth"] is None:
        body["note"] = (
            f"the newest {len(docs)} contacts reach back only to {body['sampled_from'][:16]}: too short a baseline "
            "before the last 7 days to tell an emerging topic (raise max_docs or start the range later)"
        )
    return body


def _top(counts: Mapping[str, int], n: int = 3) -> list[dict[str, Any]]:
    return [{"intent": k, "count": v} for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:n]]
