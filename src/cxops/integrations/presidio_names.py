"""Optional person-name detection with Microsoft Presidio (only when it and a spaCy model are installed).

Nothing is downloaded: without presidio-analyzer or an installed spaCy English model, `person_name_finder`
returns None and redaction covers the structured kinds only.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

try:  # optional dependency
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
except ImportError:  # pragma: no cover - depends on the environment
    AnalyzerEngine = None
    NlpEngineProvider = None

from cxops.domains.trust.ports import NameFinder

log = logging.getLogger(__name__)
SPACY_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")


def _installed_model() -> str | None:
    return next((m for m in SPACY_MODELS if importlib.util.find_spec(m) is not None), None)


def person_name_finder() -> NameFinder | None:
    """A Presidio-backed name finder, or None when Presidio or a local spaCy model is missing."""
    model = _installed_model() if AnalyzerEngine is not None else None
    if model is None or NlpEngineProvider is None or AnalyzerEngine is None:
        return None
    try:
        nlp = NlpEngineProvider(
            nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
        ).create_engine()
        engine: Any = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    except Exception as exc:
        log.warning("presidio unavailable; person names are not redacted", extra={"exc_type": type(exc).__name__})
        return None

    def find(text: str) -> list[tuple[int, int]]:
        return [(r.start, r.end) for r in engine.analyze(text=text, entities=["PERSON"], language="en")]

    return find
