"""Binds the intent models to the packaged MiniLM encoder (the assist domain only sees an encode callable) and
ships the demo's model: trained on the demo intents' labelled utterances the first time `cxops demo` runs."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from cxops.core.config import Settings, get_settings
from cxops.domains.assist import intents as store
from cxops.domains.assist import intents_cli
from cxops.domains.assist.compute.intents import IntentModel
from cxops.integrations.demo.utterances import labelled_utterances
from cxops.integrations.embeddings import default_embedder

log = logging.getLogger(__name__)
DEMO_MODEL = "default"


def intents_encoder(models_dir: Path | None = None) -> store.Encode | None:
    """The packaged MiniLM's encode (None, logged with the install hint, when the package is missing)."""
    embedder = default_embedder(models_dir or get_settings().effective_models_dir)
    return embedder.encode if embedder is not None else None


def cli_app() -> typer.Typer:
    """`cxops intents`, bound to the packaged encoder."""
    intents_cli.bind_encoder(intents_encoder)
    return intents_cli.app


def ensure_demo_intent_model(settings: Settings | None = None) -> IntentModel | None:
    """The served demo intent model; trained on the demo intents' utterances when there is none yet (seconds)."""
    settings = settings or get_settings()
    root = store.intents_root(settings.data_dir)
    existing = store.load_latest(root, DEMO_MODEL)
    if existing is not None:
        return existing
    encode = intents_encoder(settings.effective_models_dir)
    if encode is None:
        return None
    model = store.train(labelled_utterances(), DEMO_MODEL, root, encode, holdout=0.0, source="demo utterances")
    log.info("trained the demo intent model (%d labels) as version %s", len(model.labels), model.version)
    return model
