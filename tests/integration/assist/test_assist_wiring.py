"""The assist wiring builds the engine and each inference process with the configured number of suggestions."""

from __future__ import annotations

from pathlib import Path

from cxops.core.config import load_settings
from cxops.core.db import make_engine, make_session_factory
from cxops.entrypoints.assist_wiring import assist_engine, build_understanding


def test_suggestions_setting_reaches_the_engine_and_the_inference_processes(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "CXOPS_DATA_DIR": str(tmp_path),
            "CXOPS_LOG_LEVEL": "WARNING",
            "CXOPS_ASSIST_SUGGESTIONS": "5",
            "CXOPS_ASSIST_PROCESSES": "1",
        }
    )
    understanding = build_understanding(settings)  # what each spawned inference process runs
    assert understanding.suggestions == 5
    engine = make_engine(settings.effective_database_url)
    try:
        assist = assist_engine(settings, make_session_factory(engine), None, None)
        assert assist.config.suggestions == 5
    finally:
        engine.dispose()
    assert load_settings({}).assist_suggestions == 3  # the default
