"""Knowledge API tests share one embedder per session (model built once into the repo's ignored cache)."""

from __future__ import annotations

import pytest

from tests.knowledge_support import shared_embedder


@pytest.fixture
def kb_app(app):  # type: ignore[no-untyped-def]
    app.state.embedder = shared_embedder()
    return app
