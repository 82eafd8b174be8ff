"""Binds real-time assist to its adapters: the process's MiniLM encoder, the latest trained intent model (loaded
once), the trust domain's routing advice and consented memory, and the ingestion redactor."""

from __future__ import annotations

import logging
import os
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.core.db import make_engine, make_session_factory
from cxops.core.errors import CxopsError
from cxops.core.logging import configure_logging
from cxops.domains.assist.compute.intents import IntentModel
from cxops.domains.assist.engine import AssistConfig, AssistEngine
from cxops.domains.assist.inference import ProcessPool, Understanding
from cxops.domains.assist.intents import intents_root, load_latest
from cxops.domains.assist.ports import AssistPorts, Encoder, TextRedactor
from cxops.domains.trust import memory as trust_memory
from cxops.domains.trust.public import routing_advice
from cxops.domains.trust.schemas import PURPOSES
from cxops.integrations.embeddings import default_embedder
from cxops.integrations.nats.board import board_relay

log = logging.getLogger("cxops.assist.wiring")
MEMORY_ITEMS = 5


def trust_for_assist(session: Session, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any] | None:
    """Routing advice and the memory the customer consented to (per purpose), or None for an unknown customer."""
    try:
        advice = routing_advice(session, org_id=org_id, customer_id=customer_id)
    except CxopsError:
        return None
    memory: list[dict[str, Any]] = []
    for purpose in sorted(PURPOSES):
        try:
            items = trust_memory.recall(session, org_id=org_id, customer_id=customer_id, purpose=purpose)
        except CxopsError:  # no consent for this purpose: nothing may be read
            continue
        memory.extend({"purpose": purpose, "kind": i.kind, "content": i.content[:300]} for i in items[:MEMORY_ITEMS])
    return {
        "route": advice.route,
        "score": round(advice.score, 1),
        "poor_in_window": advice.poor_in_window,
        "reasons": [r.explanation for r in advice.reasons[:3]],
        "memory": memory[:MEMORY_ITEMS],
    }


def _intent_model(data_dir: Path) -> IntentModel | None:
    """The latest intent model trained under <data_dir>/intents, or None (logged) when there is none usable."""
    try:
        return load_latest(intents_root(data_dir))
    except (OSError, ValueError) as exc:
        log.warning("intent model could not be loaded", extra={"exc_type": type(exc).__name__})
        return None


def assist_config(settings: Settings) -> AssistConfig:
    """The engine's limits from settings (the inference processes read the same values)."""
    return AssistConfig(data_dir=settings.data_dir, suggestions=settings.assist_suggestions)


def inference_processes(settings: Settings) -> int:
    """CXOPS_ASSIST_PROCESSES, else the cores shared among the API workers (CXOPS_WORKERS, set by `serve`)."""
    return settings.assist_processes or max(1, (os.cpu_count() or 1) // settings.workers)


def build_understanding(settings: Settings) -> Understanding:
    """The inference of a spawned assist process: its own database engine, MiniLM encoder and intent model."""
    configure_logging(settings.log_level)
    factory = make_session_factory(make_engine(settings.effective_database_url))
    encoder = default_embedder(settings.effective_models_dir)
    config = assist_config(settings)
    return Understanding(
        factory, encoder, partial(_intent_model, settings.data_dir), config.data_dir, config.suggestions
    )


def assist_engine(
    settings: Settings, factory: sessionmaker[Session], encoder: Encoder | None, redactor: TextRedactor | None
) -> AssistEngine:
    """The process's assist engine; the intent model is read from <data_dir>/intents on first use.

    With CXOPS_ASSIST_INFERENCE=process (the default) the encoder, intent model and knowledge search run in
    CXOPS_ASSIST_PROCESSES child processes (default: the cores divided among the API workers; started with the
    API process; each live interaction always goes to the same one); `thread` keeps them in a thread of this
    process. With NATS (CXOPS_NATS_URL) the supervisor boards of every API process see every process's calls.
    """
    model = partial(_intent_model, settings.data_dir)
    ports = AssistPorts(encoder=encoder, intent_model=model, trust=trust_for_assist, redactor=redactor)
    build = partial(build_understanding, settings)
    inference = ProcessPool(build, inference_processes(settings)) if settings.assist_inference == "process" else None
    return AssistEngine(factory, ports, assist_config(settings), inference, relay=board_relay(settings))
