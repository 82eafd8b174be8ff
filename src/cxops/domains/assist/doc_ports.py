"""What auto-documentation needs from outside the domain, bound by entrypoints/autodoc_wiring.py.

* a sentence encoder (MiniLM, L2-normalised vectors), shared with QA so each line is embedded once;
* the newest intent model (compute/intents), or None when none has been trained;
* an optional text generator (an OpenAI-compatible LLM); None when CXOPS_LLM_URL is not set.

Each is a provider (a callable) so heavy things are built lazily, at first use, in the process that uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cxops.domains.assist.compute.summary import IntentModelLike


class GenerationFailed(Exception):
    """The generator could not answer; the message says why (no prompt, no credentials) and is stored as-is."""


class TextGenerator(Protocol):
    """An LLM behind a chat interface; raises GenerationFailed when it cannot answer."""

    @property
    def model(self) -> str: ...

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 300, temperature: float = 0.2) -> str: ...


Encoder = Callable[[Sequence[str]], np.ndarray]


def _none() -> None:
    return None


@dataclass(frozen=True)
class DocumentationPorts:
    """Providers of the encoder, the intent model and the generator (each may give None)."""

    encoder: Callable[[], Encoder | None] = _none
    intents: Callable[[], IntentModelLike | None] = _none
    generator: Callable[[], TextGenerator | None] = _none
    generator_missing: str = "generative summaries are off: CXOPS_LLM_URL is not set"
