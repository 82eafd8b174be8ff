"""An LRU cache in front of the sentence encoder: scripted lines (greetings, closings, disclosures) recur
across thousands of interactions, so each distinct text is embedded once."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from cxops.domains.qa.compute.model import Encoder


class CachingEncoder:
    """Wraps an Encoder; encodes only the texts it has not seen recently, in one batch."""

    def __init__(self, encoder: Encoder, max_items: int = 50_000) -> None:
        self._encoder = encoder
        self._max = max_items
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [" ".join(t.lower().split()) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._items))
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        if missing:
            for key, vec in zip(missing, self._encoder(missing), strict=True):
                self._items[key] = vec
        out = np.stack([self._items[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)
        for key in keys:
            self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)
        return out

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0
