"""Binds auto-documentation (domains/assist/documentation.py) to its adapters and registers its consumers.

* encoder: the process's cached MiniLM encoder shared with QA (entrypoints/qa_wiring.qa_encoder), so a line
  both domains embed is embedded once;
* intents: the newest intent model under `<data dir>/intents/default/`, re-checked every INTENT_RELOAD_S so a
  newly trained version is picked up without a restart;
* generator: an OpenAI-compatible LLM (integrations/llm.py) when CXOPS_LLM_URL is set, else None.

The HTTP app calls `bind(settings)` (ports on app.state and registered for its models directory); the event
consumers built by `build_subscriptions(models_dir)` look their ports up by that directory at delivery time,
falling back to the process settings (`cxops worker`, CLI).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from cxops.core.config import Settings, get_settings
from cxops.core.events import Subscriptions
from cxops.domains.assist import documentation
from cxops.domains.assist.compute.summary import IntentModelLike
from cxops.domains.assist.doc_ports import DocumentationPorts, Encoder, GenerationFailed, TextGenerator
from cxops.domains.assist.intents import intents_root, load_latest
from cxops.entrypoints.qa_wiring import qa_encoder
from cxops.integrations.llm import ChatClient, LlmError

INTENT_RELOAD_S = 60.0
_LOCK = threading.Lock()
_BOUND: dict[Path, DocumentationPorts] = {}
_FALLBACK: list[DocumentationPorts] = []


class LlmGenerator:
    """The TextGenerator port over ChatClient: LlmError becomes GenerationFailed with the same message."""

    def __init__(self, client: ChatClient) -> None:
        self._client = client

    @property
    def model(self) -> str:
        return self._client.model

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 300, temperature: float = 0.2) -> str:
        try:
            return self._client.complete(messages, max_tokens=max_tokens, temperature=temperature)
        except LlmError as exc:
            raise GenerationFailed(exc.message) from None


def intent_provider(root: Path, name: str = "default") -> Callable[[], IntentModelLike | None]:
    """The newest model `name` under `root`, loaded at most once per INTENT_RELOAD_S."""
    state: dict[str, object] = {"at": -1e18, "model": None}
    lock = threading.Lock()

    def provide() -> IntentModelLike | None:
        with lock:
            if time.monotonic() - float(state["at"]) > INTENT_RELOAD_S:  # type: ignore[arg-type]
                state["model"] = load_latest(root, name) if root.is_dir() else None
                state["at"] = time.monotonic()
            return state["model"]  # type: ignore[return-value]

    return provide


def documentation_ports(settings: Settings) -> DocumentationPorts:
    """Ports built from `settings` (nothing heavy is built until first use)."""
    encoder = qa_encoder(settings.effective_models_dir)
    generator: TextGenerator | None = None
    if settings.llm_url:
        client = ChatClient(
            settings.llm_url, settings.llm_model, api_key=settings.llm_api_key, timeout_s=settings.llm_timeout_s
        )
        generator = LlmGenerator(client)

    def provide_encoder() -> Encoder | None:
        return encoder()

    def provide_generator() -> TextGenerator | None:
        return generator

    return DocumentationPorts(
        encoder=provide_encoder,
        intents=intent_provider(intents_root(settings.data_dir)),
        generator=provide_generator,
    )


def bind(settings: Settings) -> DocumentationPorts:
    """Build the ports of an app and register them for its models directory (used by its event consumers)."""
    ports = documentation_ports(settings)
    with _LOCK:
        _BOUND[settings.effective_models_dir] = ports
    return ports


def ports_for(models_dir: Path | None) -> DocumentationPorts:
    """The ports registered for `models_dir`, else those of the process settings (built once)."""
    with _LOCK:
        if models_dir is not None and models_dir in _BOUND:
            return _BOUND[models_dir]
        if not _FALLBACK:
            _FALLBACK.append(documentation_ports(get_settings()))
        return _FALLBACK[0]


def subscribe(subs: Subscriptions, models_dir: Path | None = None) -> Subscriptions:
    """Register the documentation consumers; their ports are resolved when an event is delivered."""
    return documentation.subscribe(subs, _LazyPorts(models_dir).ports())


class _LazyPorts:
    """DocumentationPorts whose providers defer to `ports_for(models_dir)` at call time."""

    def __init__(self, models_dir: Path | None) -> None:
        self._dir = models_dir

    def ports(self) -> DocumentationPorts:
        def encoder() -> Encoder | None:
            return ports_for(self._dir).encoder()

        def intents() -> IntentModelLike | None:
            return ports_for(self._dir).intents()

        def generator() -> TextGenerator | None:
            return ports_for(self._dir).generator()

        return DocumentationPorts(encoder=encoder, intents=intents, generator=generator)
