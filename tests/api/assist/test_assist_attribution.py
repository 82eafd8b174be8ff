"""Knowledge attribution from live assist: the articles a live call's desk was shown (and those the agent marked
as used) become `shown` / `used` attributions when the call ends, through `assist.articles_shown`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError

from cxops.contracts.assist_events import AssistArticlesShown
from cxops.core.events import Delivered, apply_once
from cxops.core.models import EventConsumption, OutboxEvent
from cxops.domains.assist import writer
from cxops.domains.assist.live import LiveCall, with_stored
from cxops.domains.assist.models import AssistLiveArticle
from cxops.domains.interactions.public import LiveInteraction
from cxops.domains.knowledge.models import KnowledgeArticle, KnowledgeAttribution
from cxops.domains.knowledge.public import Access
from cxops.domains.knowledge.wiring import on_articles_shown
from cxops.entrypoints.http.app import create_app
from tests.api.assist.test_assist_stream import START, finish, seg, until
from tests.conftest import auth, drain_events
from tests.knowledge_support import shared_embedder

CONSUMER = "knowledge.assist_attribution"
EVENT = AssistArticlesShown.event_type


@pytest.fixture
def kb(client: TestClient, app: Any, org_keys: dict[str, str], tmp_path: Path) -> str:
    """A synced source of delivery articles, and the assist engine searching it with the shared encoder; its id."""
    app.state.embedder = shared_embedder()
    app.state.assist.ports.encoder = app.state.embedder
    root = tmp_path / "kb"
    root.mkdir()
    (root / "late-delivery.md").write_text(
        "# Late deliveries\n\n## Delivery guarantee\n\nIf a parcel arrives late, refund the delivery charge and "
        "offer a redelivery slot. Late parcels are covered by the delivery guarantee.\n"
    )
    (root / "tracking.md").write_text(
        "# Tracking a parcel\n\nUse the tracking number to see where the parcel is and when it left the depot.\n"
    )
    (root / "damaged.md").write_text(
        "# Damaged parcels\n\nWhen a parcel arrives damaged, ask for a photo and send a replacement at no cost.\n"
    )
    admin = auth(org_keys["admin"])
    body = {"name": "delivery-help", "kind": "markdown", "path": str(root), "owner": "cx-ops"}
    source = client.post("/v1/knowledge/sources", json=body, headers=admin).json()["id"]
    assert client.post(f"/v1/knowledge/sources/{source}/sync", headers=admin).status_code == 200
    return str(source)


def _reply(ws: Any, frame: dict[str, Any]) -> dict[str, Any]:
    """The server's one answer to `frame` (a ping after it bounds the wait, so a missing answer fails, not hangs)."""
    ws.send_json(frame)
    ws.send_json({"type": "ping"})
    answers = []
    while (got := ws.receive_json())["type"] != "pong":
        answers.append(got)
    assert len(answers) == 1, answers
    return answers[0]


def _shown_in(frame: dict[str, Any], into: list[str]) -> None:
    for s in frame["suggestions"]:
        if s["article_id"] not in into:
            into.append(s["article_id"])


def _events(app: Any, interaction_id: str | None = None) -> list[OutboxEvent]:
    with app.state.session_factory() as s:
        rows = s.scalars(select(OutboxEvent).where(OutboxEvent.type == EVENT)).all()
    return [r for r in rows if interaction_id is None or r.payload["interaction_id"] == interaction_id]


def _attributions(app: Any, interaction_id: str) -> set[tuple[str, str]]:
    with app.state.session_factory() as s:
        rows = s.scalars(
            select(KnowledgeAttribution).where(KnowledgeAttribution.interaction_id == uuid.UUID(interaction_id))
        ).all()
    return {(str(r.article_id), r.usage) for r in rows}


def _redeliver(app: Any, event_id: uuid.UUID) -> None:
    """Deliver the event again as an at-least-once bus may (its marker gone too): the effect must not repeat."""
    with app.state.session_factory() as s:
        s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(published_at=None))
        s.execute(delete(EventConsumption).where(EventConsumption.event_id == event_id))
        s.commit()
    drain_events(app)


def test_shown_and_used_articles_become_attributions(
    client: TestClient, app: Any, org_keys: dict[str, str], kb: str
) -> None:
    shown: list[str] = []
    with client.websocket_connect("/v1/assist/live/attr-1", headers=auth(org_keys["agent"])) as ws:
        ws.send_json(START)
        iid = until(ws, "started")["interaction_id"]
        ws.send_json(seg(0, "agent", "Hello, you're through to Sam, how can I help?"))
        until(ws, "assist")
        ws.send_json(seg(1, "customer", "My parcel arrived late again, I want the delivery charge refunded."))
        _shown_in(until(ws, "assist"), shown)
        ws.send_json(seg(2, "customer", "Where is my parcel now, has it left the depot with its tracking number?"))
        _shown_in(until(ws, "assist"), shown)
        assert shown, "the desk received no suggestions"
        used = shown[0]
        ack = _reply(ws, {"type": "used", "article_id": used})
        assert ack == {"type": "used", "interaction_id": iid, "article_id": used}
        never = str(uuid.uuid4())
        err = _reply(ws, {"type": "used", "article_id": never})
        assert err["code"] == "unknown_suggestion" and never in err["message"]
        bad = _reply(ws, {"type": "used", "article_id": "not-a-uuid"})
        assert bad["code"] == "invalid_frame" and bad["message"].startswith("article_id")
        assert _reply(ws, {"type": "used"})["code"] == "invalid_frame"
        assert _reply(ws, {"type": "used", "article_id": used, "extra": 1})["code"] == "invalid_frame"
        finish(ws, outcome="resolved")
    # one event, emitted with the end of the interaction, naming exactly what the desk received
    (event,) = _events(app, iid)
    assert event.payload["article_ids"] == shown and event.payload["used_article_ids"] == [used]
    drain_events(app)
    assert _attributions(app, iid) == {*((a, "shown") for a in shown), (used, "used")}
    with app.state.session_factory() as s:
        row = s.get(OutboxEvent, event.id)
        assert row is not None and row.published_at is not None and row.last_error is None
    rows = client.get("/v1/knowledge/attributions/articles", headers=auth(org_keys["supervisor"])).json()
    assert {r["article_id"] for r in rows} == set(shown)
    assert all(r["interactions"] == 1 and r["resolved"] == 1 and r["resolution_rate"] == 1.0 for r in rows)
    # redelivered (marker lost as well): nothing is recorded twice
    _redeliver(app, event.id)
    with app.state.session_factory() as s:
        count = len(s.scalars(select(KnowledgeAttribution)).all())
    assert count == len(shown) + 1


def test_used_before_any_suggestion_is_refused_and_a_call_without_suggestions_emits_nothing(
    client: TestClient, app: Any, org_keys: dict[str, str]
) -> None:
    with client.websocket_connect("/v1/assist/live/attr-2", headers=auth(org_keys["agent"])) as ws:
        article = str(uuid.uuid4())
        assert _reply(ws, {"type": "used", "article_id": article})["code"] == "unknown_interaction"
        ws.send_json(START)
        iid = until(ws, "started")["interaction_id"]
        ws.send_json(seg(0, "customer", "My parcel arrived late again, I want the delivery charge refunded."))
        assert until(ws, "assist")["suggestions"] == []  # no knowledge source in this organisation
        assert _reply(ws, {"type": "used", "article_id": article})["code"] == "unknown_suggestion"
        finish(ws, outcome="resolved")
    assert _events(app) == []
    drain_events(app)
    assert _attributions(app, iid) == set()


def test_deleted_articles_and_erased_interactions_are_skipped(
    client: TestClient, app: Any, org_keys: dict[str, str], kb: str
) -> None:
    admin = auth(org_keys["admin"])
    ids: list[str] = []
    for n in range(2):
        with client.websocket_connect(f"/v1/assist/live/attr-skip-{n}", headers=auth(org_keys["agent"])) as ws:
            ws.send_json({**START, "customer": {"external_id": f"c-skip-{n}"}})
            ids.append(until(ws, "started")["interaction_id"])
            ws.send_json(seg(0, "customer", "My parcel arrived late again, I want the delivery charge refunded."))
            assert until(ws, "assist")["suggestions"]
            finish(ws, outcome="resolved")
    erased_call, other_call = ids
    # the customer of the first call is erased (trust), then every event is delivered: nothing of it stays
    with app.state.session_factory() as s:
        from_call = s.scalars(select(OutboxEvent).where(OutboxEvent.type == EVENT)).all()
        assert len(from_call) == 2
    customer = client.get(f"/v1/interactions/{erased_call}", headers=admin).json()["customer_id"]
    r = client.post(f"/v1/customers/{customer}/erasure", headers=admin)
    assert r.status_code == 200, r.text
    drain_events(app)
    assert _attributions(app, erased_call) == set()
    assert {u for _, u in _attributions(app, other_call)} == {"shown"}
    # a bus may deliver the assist event after the erasure: it is skipped, not recorded again, and not an error
    (late,) = _events(app, erased_call)
    _redeliver(app, late.id)
    assert _attributions(app, erased_call) == set()
    # the source (with its articles) is deleted, then the other call's event comes again: skipped without error
    assert client.delete(f"/v1/knowledge/sources/{kb}", headers=admin).status_code == 204
    with app.state.session_factory() as s:
        assert s.scalars(select(KnowledgeArticle)).all() == []
    (again,) = _events(app, other_call)
    _redeliver(app, again.id)
    with app.state.session_factory() as s:
        row = s.get(OutboxEvent, again.id)
        assert row is not None and row.published_at is not None and row.last_error is None and row.attempts == 0
    assert _attributions(app, other_call) == set()  # deleted with their articles, not recreated
    # an interaction that does not exist and a malformed payload are skipped too
    org_id = uuid.UUID(org_keys["org_id"])
    for payload in (
        {"interaction_id": str(uuid.uuid4()), "article_ids": [str(uuid.uuid4())]},
        {"interaction_id": "nope", "article_ids": ["nope"]},
        {"interaction_id": other_call, "article_ids": ["nope"], "used_article_ids": None},
    ):
        event = Delivered(uuid.uuid4(), EVENT, org_id, payload)
        assert apply_once(app.state.session_factory, CONSUMER, on_articles_shown, event) is True
    assert _attributions(app, other_call) == set()


def test_a_call_remembers_at_most_fifty_distinct_articles_and_only_those_can_be_used() -> None:
    info = LiveInteraction(uuid.uuid4(), uuid.uuid4(), "voice", None, None, None, datetime.now(UTC), frozenset(), False)
    call = LiveCall(info=info, external_id="x", source="live", agent_code=None, queue_code=None, access=Access("agent"))
    assert call.articles_shown() is None
    ids = [str(uuid.uuid4()) for _ in range(60)]
    call.note_shown([{"article_id": ids[0]}, {"article_id": ids[0]}, {"title": "no id"}])
    for i in range(0, 60, 3):
        call.note_shown([{"article_id": a} for a in ids[i : i + 3]])
    assert list(call.shown) == ids[:50]
    call.mark_used(ids[1])
    call.mark_used(ids[1])
    event = call.articles_shown()
    assert event is not None and event.article_ids == ids[:50] and event.used_article_ids == [ids[1]]
    assert event.interaction_id == str(info.id)


# --- the articles shown and used are stored: a call resumed on another process (or after a restart) keeps them ---


@pytest.fixture
def one_suggestion(app: Any) -> None:
    """One suggestion per segment, so which article a segment shows is known (late delivery, tracking)."""
    app.state.assist.config.suggestions = 1


def _other_process(app: Any) -> Any:
    """A second app on the same database with an engine of its own: another API process, or this one restarted."""
    other = create_app(app.state.settings, dispatch=False)
    other.state.embedder = app.state.embedder
    other.state.assist.ports.encoder = app.state.embedder
    other.state.assist.config.suggestions = app.state.assist.config.suggestions
    return other


def _stored(app: Any, interaction_id: str) -> list[tuple[str, str, int]]:
    """The assist_live_article rows of an interaction (kind, article, position), read without flushing the writer."""
    with app.state.session_factory() as s:
        rows = s.scalars(
            select(AssistLiveArticle).where(AssistLiveArticle.interaction_id == uuid.UUID(interaction_id))
        ).all()
    return [(r.kind, str(r.article_id), r.position) for r in sorted(rows, key=lambda r: (r.kind, r.position))]


LATE = "My parcel arrived late again, I want the delivery charge refunded."
TRACKING = "Where is my parcel now, has it left the depot with its tracking number?"


@pytest.mark.parametrize("resume", ["attach", "start"])
def test_a_call_resumed_on_another_process_keeps_its_articles(
    client: TestClient, app: Any, org_keys: dict[str, str], kb: str, one_suggestion: None, resume: str
) -> None:
    agent = auth(org_keys["agent"])
    ref = f"attr-resume-{resume}"
    with client.websocket_connect(f"/v1/assist/live/{ref}", headers=agent) as ws:
        ws.send_json(START)
        iid = until(ws, "started")["interaction_id"]
        ws.send_json(seg(0, "customer", LATE))
        [late] = [s["article_id"] for s in until(ws, "assist")["suggestions"]]
        assert _reply(ws, {"type": "used", "article_id": late})["type"] == "used"
        # acknowledged means committed: the rows are there without waiting for the writer (a crash now loses nothing)
        assert _stored(app, iid) == [("shown", late, 0), ("used", late, 0)]
    # the process is gone (its desktop disconnected, the call never ended there): another one resumes the call
    other = _other_process(app)
    with (
        TestClient(other) as second,
        second.websocket_connect(f"/v1/assist/live/{iid if resume == 'attach' else ref}", headers=agent) as ws,
    ):
        if resume == "start":
            ws.send_json(START)
        started = until(ws, "started")
        assert started["resumed"] is True and started["next_seq"] == 1
        if resume == "start":
            until(ws, "trust")  # a start frame loads the customer's trust after `started`
        call = other.state.assist.calls[uuid.UUID(iid)]
        assert list(call.shown) == [late] and list(call.used) == [late]
        # used again (a resend) and used for an article shown only on the first process: both accepted
        assert _reply(ws, {"type": "used", "article_id": late}) == {
            "type": "used",
            "interaction_id": iid,
            "article_id": late,
        }
        never = str(uuid.uuid4())
        err = _reply(ws, {"type": "used", "article_id": never})
        assert err["code"] == "unknown_suggestion" and never in err["message"]
        ws.send_json(seg(1, "customer", TRACKING))
        [tracking] = [s["article_id"] for s in until(ws, "assist")["suggestions"]]
        assert tracking != late
        assert _reply(ws, {"type": "used", "article_id": tracking})["type"] == "used"
        assert _reply(ws, {"type": "used", "article_id": tracking})["type"] == "used"
        # one row per article and kind however often it was sent, in the order the call recorded them
        assert _stored(app, iid) == [("shown", late, 0), ("shown", tracking, 1), ("used", late, 0),
                                     ("used", tracking, 1)]  # fmt: skip
        finish(ws, outcome="resolved")
    # the event carries the articles of both processes; the rows went with it
    (event,) = _events(app, iid)
    assert event.payload["article_ids"] == [late, tracking]
    assert event.payload["used_article_ids"] == [late, tracking]
    assert _stored(app, iid) == []
    drain_events(app)
    assert _attributions(app, iid) == {(late, "shown"), (tracking, "shown"), (late, "used"), (tracking, "used")}


def test_two_processes_serving_one_call_store_each_article_once_and_the_end_carries_both(
    client: TestClient, app: Any, org_keys: dict[str, str], kb: str, one_suggestion: None
) -> None:
    agent = auth(org_keys["agent"])
    other = _other_process(app)
    with client.websocket_connect("/v1/assist/live/attr-two", headers=agent) as first:
        first.send_json(START)
        iid = until(first, "started")["interaction_id"]
        first.send_json(seg(0, "customer", LATE))
        [late] = [s["article_id"] for s in until(first, "assist")["suggestions"]]
        with (
            TestClient(other) as second_client,
            second_client.websocket_connect(f"/v1/assist/live/{iid}", headers=agent) as second,
        ):
            assert until(second, "started")["resumed"] is True
            # the first process does not know about the second (no NATS): both desks mark the same article used
            assert _reply(first, {"type": "used", "article_id": late})["type"] == "used"
            assert _reply(second, {"type": "used", "article_id": late})["type"] == "used"
            # an article the first process shows after the second loaded the call is unknown to the second...
            first.send_json(seg(1, "customer", TRACKING))
            [tracking] = [s["article_id"] for s in until(first, "assist")["suggestions"]]
            app.state.assist.writer.flush()
            assert _reply(second, {"type": "used", "article_id": tracking})["code"] == "unknown_suggestion"
            assert _stored(app, iid) == [("shown", late, 0), ("shown", tracking, 1), ("used", late, 0)]
            # ...but the end, on the second process, publishes it: what every process stored
            finish(second, outcome="resolved")
    (event,) = _events(app, iid)
    assert event.payload["article_ids"] == [late, tracking] and event.payload["used_article_ids"] == [late]
    assert _stored(app, iid) == []


def test_a_use_the_database_did_not_take_is_not_acknowledged(
    client: TestClient, app: Any, org_keys: dict[str, str], kb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with client.websocket_connect("/v1/assist/live/attr-down", headers=auth(org_keys["agent"])) as ws:
        ws.send_json(START)
        iid = until(ws, "started")["interaction_id"]
        ws.send_json(seg(0, "customer", LATE))
        article = until(ws, "assist")["suggestions"][0]["article_id"]
        app.state.assist.writer.flush()

        def down(*_: Any, **__: Any) -> None:
            raise OperationalError("INSERT", {}, Exception("database is down"))

        monkeypatch.setattr(writer, "insert_ignore", down)
        err = _reply(ws, {"type": "used", "article_id": article})
        assert err["code"] == "used_not_stored" and article in err["message"]
        assert ("used", article, 0) not in _stored(app, iid)
        monkeypatch.undo()  # the database is back: the desk sends it again
        assert _reply(ws, {"type": "used", "article_id": article})["type"] == "used"
        assert ("used", article, 0) in _stored(app, iid)
        finish(ws, outcome="resolved")
    (event,) = _events(app, iid)
    assert event.payload["used_article_ids"] == [article]


def test_restored_and_stored_articles_keep_their_order_and_the_bound() -> None:
    info = LiveInteraction(uuid.uuid4(), uuid.uuid4(), "voice", None, None, None, datetime.now(UTC), frozenset(), True)
    call = LiveCall(info=info, external_id="x", source="live", agent_code=None, queue_code=None, access=Access("agent"))
    ids = [str(uuid.uuid4()) for _ in range(60)]
    # stored before the resume: a used article whose shown row is missing is restored as shown too
    call.restore(ids[:3], [ids[1], ids[5]])
    assert list(call.shown) == [*ids[:3], ids[5]] and list(call.used) == [ids[1], ids[5]]
    assert call.note_shown([{"article_id": ids[0]}, {"article_id": ids[6]}]) == [ids[6]]
    call.mark_used(ids[0])
    # the end merges what another process stored after this one loaded the call, within 50 articles
    event = with_stored(call.articles_shown(), info.id, ids[:60], [ids[7], ids[59]])
    assert event is not None and len(event.article_ids) == 50
    assert event.article_ids[:5] == [*ids[:3], ids[5], ids[6]] and ids[59] not in event.article_ids
    assert event.used_article_ids == [ids[1], ids[5], ids[0], ids[7]]
    assert with_stored(None, info.id, [], []) is None
    assert with_stored(None, info.id, [ids[0]], []) == AssistArticlesShown(
        interaction_id=str(info.id), article_ids=[ids[0]], used_article_ids=[]
    )
