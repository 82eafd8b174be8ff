"""The QA score metric reads the QA domain's evaluations through the port bound by the app."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from cxops.core.db import unit_of_work
from cxops.domains.qa.models import QaEvaluation, QaScorecard


def test_qa_score_is_the_mean_evaluation_total(client: TestClient, centre: dict, app) -> None:  # type: ignore[no-untyped-def]
    items = client.get("/v1/interactions", params={"limit": 3}, headers=centre["reader"]).json()["items"]
    org_id = uuid.UUID(centre["keys"]["org_id"])
    with unit_of_work(app.state.session_factory) as session:
        card = QaScorecard(org_id=org_id, name="card", version=1, source="x")
        session.add(card)
        session.flush()
        for item, total in zip(items[:2], (60.0, 90.0), strict=True):
            session.add(
                QaEvaluation(
                    org_id=org_id,
                    interaction_id=uuid.UUID(item["id"]),
                    scorecard_id=card.id,
                    scorecard_name="card",
                    version=1,
                    total=total,
                    auto_failed=False,
                    sections={},
                    criteria=[],
                )
            )
    body = client.get("/v1/analytics/metrics", params={"metrics": "qa_score,volume"}, headers=centre["reader"]).json()
    assert body["rows"][0]["qa_score"] == 75.0 and body["unavailable"] == {}
    by_id = client.get(
        "/v1/analytics/metrics", params={"metrics": "qa_score", "by": "channel"}, headers=centre["reader"]
    ).json()
    # the two newest contacts (scored) are voice calls; no chat contact has an evaluation
    assert {r["channel"]: r["qa_score"] for r in by_id["rows"]} == {"voice": 75.0, "chat": None}
