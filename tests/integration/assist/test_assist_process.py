"""Live assist with its inference in a process of its own (the server default), over a real uvicorn server:
intent and knowledge suggestions come from the child; a child that dies mid-batch costs that batch only."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from cxops.core import keys
from cxops.core.config import Settings, load_settings
from cxops.core.db import unit_of_work
from cxops.domains.assist.inference import OwnProcess, ProcessPool, Request, Understanding
from cxops.domains.assist.intents import intents_root, train
from cxops.domains.knowledge import schemas as knowledge_schemas
from cxops.domains.knowledge import service as knowledge_service
from cxops.domains.knowledge.public import Access
from cxops.entrypoints.assist_wiring import build_understanding
from cxops.entrypoints.http.app import create_app
from cxops.integrations.demo.utterances import labelled_utterances
from tests.conftest import make_org_keys
from tests.integration.assist.served import served
from tests.knowledge_support import MODEL_CACHE, shared_embedder

CRASH = "please crash the inference now"
SLOW = "this one takes the inference a whole second"


class _Crashing(Understanding):
    """Dies like a killed process when a batch holds the CRASH text."""

    def each(self, requests: Any, group: int = 4) -> Any:
        if any(r.text == CRASH for r in requests):
            os._exit(1)
        if any(r.text == SLOW for r in requests):
            time.sleep(1.0)
        return super().each(requests, group)


def build_crashing(settings: Settings) -> Understanding:
    understanding = build_understanding(settings)
    understanding.__class__ = _Crashing
    return understanding


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("assist-process")
    settings = load_settings(
        {
            "CXOPS_DATA_DIR": str(tmp),
            "CXOPS_MODELS_DIR": str(MODEL_CACHE),
            "CXOPS_LOG_LEVEL": "WARNING",
            "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
        }
    )
    assert settings.assist_inference == "process"  # the default
    embedder = shared_embedder()
    train(labelled_utterances(seed=3, per_intent=12), "default", intents_root(tmp), embedder.encode, holdout=0.0)
    app = create_app(settings)
    assert isinstance(app.state.assist.inference, ProcessPool)
    app.state.assist.inference = OwnProcess(partial(build_crashing, settings))
    with served(app) as port:
        # the inference process starts with the server, before any live call (the first call must not wait for it)
        inference: OwnProcess = app.state.assist.inference
        deadline = time.monotonic() + 10
        while inference.pid is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inference.pid is not None and inference.starts == 1
        org_keys = make_org_keys(app.state.session_factory, "acme")
        docs = tmp / "kb"
        docs.mkdir()
        (docs / "refunds.md").write_text(
            "# Refunds for late deliveries\n\nWhen a parcel arrives late, refund the delivery charge to the original "
            "payment card within five working days.\n"
        )
        with unit_of_work(app.state.session_factory) as session:
            org_id = make_org_id(session)
            source = knowledge_service.create_source(
                session, org_id=org_id,
                data=knowledge_schemas.SourceCreate(name="help", kind="markdown", path=str(docs), owner="cx"),
            )  # fmt: skip
        with unit_of_work(app.state.session_factory) as session:
            knowledge_service.sync(session, org_id=org_id, source_id=source.id, embedder=embedder)
        yield {"url": f"ws://127.0.0.1:{port}", "key": org_keys["agent"], "app": app}


def make_org_id(session: Any) -> Any:
    return keys.ensure_organisation(session, slug="acme").id


def _assist(ws: ClientConnection, seq: int, text: str) -> dict[str, Any]:
    ws.send(json.dumps({"type": "segment", "seq": seq, "speaker": "customer", "text": text, "begin_ms": seq * 2000}))
    while True:
        frame = json.loads(ws.recv(timeout=60))
        if frame["type"] == "assist" and frame["seq"] == seq:
            return frame


def test_inference_runs_in_a_child_process_and_survives_its_death(server: dict[str, Any]) -> None:
    inference: OwnProcess = server["app"].state.assist.inference
    with connect(f"{server['url']}/v1/assist/live/call-p1", additional_headers={"X-API-Key": server["key"]}) as ws:
        ws.send(json.dumps({"type": "start", "channel": "voice", "agent": "a-1"}))
        first = _assist(ws, 0, "my parcel arrived late, can I get the delivery charge refunded?")
        child = inference.pid
        assert child is not None and child != os.getpid()
        assert first["intent"]["top"] and 0 < first["intent"]["top"][0]["p"] <= 1
        assert [s["title"] for s in first["suggestions"]] == ["Refunds for late deliveries"]
        assert first["timings_ms"]["inference"] >= first["timings_ms"]["retrieval"] > 0

        crashed = _assist(ws, 1, CRASH)  # the child dies with this batch in flight
        assert crashed["note"] == "assist unavailable" and crashed["suggestions"] == []
        assert inference.pid is None

        after = _assist(ws, 2, "the parcel was late again, I want the delivery charge back")
        assert "note" not in after and after["suggestions"][0]["title"] == "Refunds for late deliveries"
        assert inference.starts == 2 and inference.pid not in (None, child)

        ws.send(json.dumps({"type": "end", "outcome": "resolved"}))
        while (frame := json.loads(ws.recv(timeout=30)))["type"] != "ended":
            pass
        assert frame["turns"] == 3  # every valid segment stored once, the crashed one included


def test_requests_and_results_cross_the_process_boundary(server: dict[str, Any]) -> None:
    """The batch's results come back in request order; the encoder call is counted once, with its first text."""
    inference: OwnProcess = server["app"].state.assist.inference
    requests = [
        Request("I need a refund for the late delivery charge", _org(server), Access(role="agent")),
        Request("hello", _org(server), Access(role="agent")),  # too short to search the knowledge base
    ]
    refund, hello = asyncio.run(_run_fresh(inference, requests))
    assert refund.prediction is not None and refund.suggestions and refund.group == 2
    assert refund.suggestions[0]["title"] == "Refunds for late deliveries"
    assert refund.encoded == 2 and refund.encode_s is not None and refund.encode_s > 0
    assert hello.prediction is not None and hello.suggestions == [] and hello.group == 2
    assert hello.encoded == 0 and hello.encode_s is None


async def _run_fresh(inference: OwnProcess, requests: list[Request]) -> list[Any]:
    # a second OwnProcess with the same build, on this test's own loop (the server's loop owns the first)
    fresh = OwnProcess(inference._build)
    try:
        return list(await asyncio.gather(*fresh.submit(requests)))
    finally:
        await fresh.aclose()


def _org(server: dict[str, Any]) -> Any:
    with server["app"].state.session_factory() as session:
        return make_org_id(session)


def test_ended_never_overtakes_the_answers_to_the_last_segments(server: dict[str, Any]) -> None:
    with connect(f"{server['url']}/v1/assist/live/call-p3", additional_headers={"X-API-Key": server["key"]}) as ws:
        ws.send(json.dumps({"type": "start", "channel": "chat", "agent": "a-1"}))
        ws.send(json.dumps({"type": "segment", "seq": 0, "speaker": "customer", "text": SLOW, "begin_ms": 0}))
        ws.send(json.dumps({"type": "end", "outcome": "resolved"}))  # at once: the answer is still a second away
        kinds, answer = [], None
        while not kinds or kinds[-1] != "ended":
            frame = json.loads(ws.recv(timeout=30))
            kinds.append(frame["type"] if frame["type"] != "assist" else f"assist:{frame['seq']}")
            answer = frame if frame["type"] == "assist" else answer
        assert "assist:0" in kinds and kinds.index("assist:0") < kinds.index("ended"), kinds
        assert answer is not None and "note" not in answer  # a real answer, not "assist unavailable"
