"""Binds QA to the packaged sentence encoder: one lazily built, LRU-cached encoder per process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from cxops.core.config import get_settings
from cxops.domains.qa.public import CachingEncoder
from cxops.integrations.embeddings import default_embedder

_LOCK = threading.Lock()
_ENCODERS: dict[Path, CachingEncoder | None] = {}


def qa_encoder(models_dir: Path | None = None) -> Callable[[], CachingEncoder | None]:
    """A provider of the process's QA encoder (None when the model package is not installed)."""

    def provide() -> CachingEncoder | None:
        models = models_dir or get_settings().effective_models_dir
        with _LOCK:
            if models not in _ENCODERS:
                embedder = default_embedder(models)
                _ENCODERS[models] = CachingEncoder(embedder.encode) if embedder is not None else None
            return _ENCODERS[models]

    return provide
