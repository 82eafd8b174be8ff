"""A history re-score (`only_missing`) scores only the interactions of its batch the scorecard has not scored yet:
the others keep their evaluations as they are, and a batch the scorecard has fully scored writes nothing."""

from __future__ import annotations

import uuid

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxops.domains.interactions.public import Interaction
from cxops.domains.qa import service
from cxops.domains.qa.models import QaEvaluation, QaScorecard
from tests.api.qa.test_qa_api import DEMO, _call
from tests.conftest import auth


def _evaluations(app, card_id: uuid.UUID) -> dict[uuid.UUID, tuple[uuid.UUID, object, float]]:  # type: ignore[no-untyped-def]
    with app.state.session_factory() as s:
        rows = s.scalars(select(QaEvaluation).where(QaEvaluation.scorecard_id == card_id))
        return {e.interaction_id: (e.id, e.scored_at, e.total) for e in rows}


def test_history_rescore_scores_only_the_missing_interactions(client: TestClient, org_keys: dict, app) -> None:  # type: ignore[no-untyped-def]
    body = b"\n".join(orjson.dumps(_call(i, i % 2 == 0)) for i in range(6))
    r = client.post(
        "/v1/interactions/bulk",
        content=body,
        headers={**auth(org_keys["service"]), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    r = client.post("/v1/qa/scorecards", json={"source": DEMO}, headers=auth(org_keys["supervisor"]))
    assert r.status_code == 201, r.text
    factory, encoder = app.state.session_factory, app.state.qa_encoder()
    with factory() as s:
        card = s.get(QaScorecard, uuid.UUID(r.json()["id"]))
        assert card is not None
        org_id, card_id = card.org_id, card.id
        ids = list(s.scalars(select(Interaction.id).where(Interaction.org_id == org_id).order_by(Interaction.id)))
    assert len(ids) == 6
    with factory.begin() as s:
        first = service.score_interactions(s, org_id=org_id, interaction_ids=ids[:3], encoder=encoder)
        assert sorted(e.interaction_id for e in first) == ids[:3]
    before = _evaluations(app, card_id)
    unknown = uuid.uuid4()
    with factory.begin() as s:
        card = s.get(QaScorecard, card_id)
        rescored = service.score_interactions(
            s, org_id=org_id, interaction_ids=[*ids, unknown], encoder=encoder, scorecards=[card], only_missing=True
        )
        assert sorted(e.interaction_id for e in rescored) == ids[3:]
    after = _evaluations(app, card_id)
    assert sorted(after) == ids
    assert {i: after[i] for i in ids[:3]} == before  # same evaluation, same time, same score
    with factory.begin() as s:
        card = s.get(QaScorecard, card_id)
        again = service.score_interactions(
            s, org_id=org_id, interaction_ids=ids, encoder=encoder, scorecards=[card], only_missing=True
        )
        assert again == []
    assert _evaluations(app, card_id) == after
    # the evidence read from the turns is the same whether an interaction was scored by its event or by the re-score
    with factory() as s:
        good = {
            i: int(ext.split("-")[1]) % 2 == 0
            for i, ext in s.execute(select(Interaction.id, Interaction.external_id).where(Interaction.id.in_(ids)))
        }
        crits = {
            e.interaction_id: sorted((c["criterion"], c["status"], c["evidence"]) for c in e.criteria)
            for e in s.scalars(select(QaEvaluation).where(QaEvaluation.scorecard_id == card_id))
        }
    for kind in (True, False):
        same = [crits[i] for i in ids if good[i] is kind]
        assert len(same) == 3 and all(c == same[0] for c in same)
