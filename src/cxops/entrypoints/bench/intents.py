"""`cxops bench intents`: intent model quality on BANKING77 and CLINC150 (shared public data).

* BANKING77: trained on train.csv (10,003 rows, 77 intents; 15% of it held out inside training to calibrate,
  then every row trained on), top-1 accuracy on test.csv (3,080). The figure with the out-of-scope gate on (a
  rejected in-scope row counts as wrong) is reported beside it.
* CLINC150 (data_full.json): trained on train plus oos_train (the `oos` class), temperature and out-of-scope
  thresholds chosen on val plus oos_val; in-scope accuracy on test (4,500; a row flagged out of scope counts as
  wrong) and out-of-scope recall on oos_test (1,000).

Embeddings come from the packaged MiniLM (int8 ONNX, one thread) and are cached under
`<data_dir>/bench-cache/intents/` by content hash, so a rerun spends its time on training. The per-utterance
prediction time is measured one utterance at a time, as the live pipeline calls it, without the embedding.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxops.core.config import get_settings
from cxops.domains.assist.compute.intents import IntentModel, TrainOptions, evaluate, fit
from cxops.integrations.embeddings import MODEL_ID, MiniLMEmbedder

DATA = Path(os.environ.get("CXOPS_SHARED_DATA", Path(__file__).resolve().parents[5] / "shared" / "data"))
Split = tuple[list[str], list[str]]


class CachedEncoder:
    """Embeds texts once per content hash (an .npy file per list of texts)."""

    def __init__(self, cache_dir: Path, models_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.models_dir = models_dir
        self._embedder: MiniLMEmbedder | None = None
        self.embed_s = 0.0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        digest = hashlib.sha256(("\n".join([MODEL_ID, *texts])).encode()).hexdigest()[:32]
        path = self.cache_dir / f"{digest}.npy"
        if path.is_file():
            cached: np.ndarray = np.load(path, allow_pickle=False)
            if cached.shape == (len(texts), 384):
                return cached
        if self._embedder is None:
            self._embedder = MiniLMEmbedder(self.models_dir)
        started = time.perf_counter()
        vectors = self._embedder.encode(list(texts))
        self.embed_s += time.perf_counter() - started
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors, allow_pickle=False)
        tmp.replace(path)
        return vectors


def banking77() -> tuple[Split, Split]:
    def read(split: str) -> Split:
        with (DATA / "banking77" / f"{split}.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return [r["text"] for r in rows], [r["category"] for r in rows]

    return read("train"), read("test")


def clinc150() -> dict[str, Split]:
    data = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return {split: ([t for t, _ in rows], [label for _, label in rows]) for split, rows in data.items()}


def _subset(split: Split, labels: set[str]) -> Split:
    keep = [i for i, label in enumerate(split[1]) if label in labels]
    return [split[0][i] for i in keep], [split[1][i] for i in keep]


def predict_ms(model: IntentModel, texts: list[str], vectors: np.ndarray, n: int = 300) -> float:
    """Median milliseconds of one single-utterance `predict` call (embedding excluded)."""
    times = []
    for i in range(min(n, len(texts))):
        started = time.perf_counter()
        model.predict([texts[i]], vectors[i : i + 1])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_banking77(encode: CachedEncoder, options: TrainOptions, quick: bool) -> dict[str, Any]:
    train, test = banking77()
    if quick:
        labels = set(sorted(set(train[1]))[:15])
        train, test = _subset(train, labels), _subset(test, labels)
    x_train, x_test = encode(train[0]), encode(test[0])
    started = time.perf_counter()
    model = fit(train[0], train[1], x_train, name="banking77", options=options)
    train_s = time.perf_counter() - started
    probs = model.probabilities(test[0], x_test)
    top1 = float(np.mean([model.labels[i] == g for i, g in zip(probs.argmax(axis=1), test[1], strict=True)]))
    gated = evaluate(model, test[0], test[1], x_test)
    return {
        "banking77_accuracy": round(top1, 4),
        "banking77_accuracy_with_oos_gate": round(gated.in_scope_accuracy or 0.0, 4),
        "banking77_train_rows": len(train[0]),
        "banking77_test_rows": len(test[0]),
        "banking77_train_s": round(train_s, 1),
        "banking77_predict_ms_per_utterance": round(predict_ms(model, test[0], x_test), 3),
    }


def run_clinc150(encode: CachedEncoder, options: TrainOptions, quick: bool) -> dict[str, Any]:
    d = clinc150()
    train = (d["train"][0] + d["oos_train"][0], d["train"][1] + d["oos_train"][1])
    val = (d["val"][0] + d["oos_val"][0], d["val"][1] + d["oos_val"][1])
    test_in, test_oos = d["test"], d["oos_test"]
    if quick:
        labels = set(sorted(set(d["train"][1]))[:30]) | {"oos"}
        train, val, test_in = _subset(train, labels), _subset(val, labels), _subset(test_in, labels)
    x_train, x_val = encode(train[0]), encode(val[0])
    x_in, x_oos = encode(test_in[0]), encode(test_oos[0])
    started = time.perf_counter()
    model = fit(train[0], train[1], x_train, name="clinc150", options=options, calibration=(val[0], val[1], x_val))
    train_s = time.perf_counter() - started
    in_scope = evaluate(model, test_in[0], test_in[1], x_in)
    oos = evaluate(model, test_oos[0], test_oos[1], x_oos)
    probs = model.probabilities(test_in[0], x_in)
    top1 = float(np.mean([model.labels[i] == g for i, g in zip(probs.argmax(axis=1), test_in[1], strict=True)]))
    return {
        "clinc150_in_scope_accuracy": round(in_scope.in_scope_accuracy or 0.0, 4),
        "clinc150_oos_recall": round(oos.oos_recall or 0.0, 4),
        "clinc150_in_scope_top1_without_oos_gate": round(top1, 4),
        "clinc150_threshold": round(model.threshold, 4),
        "clinc150_train_s": round(train_s, 1),
        "clinc150_predict_ms_per_utterance": round(predict_ms(model, test_in[0], x_in), 3),
    }


def run(quick: bool = False, options: TrainOptions | None = None) -> dict[str, Any]:
    settings = get_settings()
    encode = CachedEncoder(settings.data_dir / "bench-cache" / "intents", settings.effective_models_dir)
    options = options or TrainOptions()
    result: dict[str, Any] = {**run_banking77(encode, options, quick), **run_clinc150(encode, options, quick)}
    result["train_s"] = round(result["banking77_train_s"] + result["clinc150_train_s"], 1)
    result["predict_ms_per_utterance"] = max(
        result["banking77_predict_ms_per_utterance"], result["clinc150_predict_ms_per_utterance"]
    )
    result["embed_s"] = round(encode.embed_s, 1)
    result["quick"] = quick
    result["targets"] = {"banking77_accuracy": 0.92, "clinc150_in_scope_accuracy": 0.93, "clinc150_oos_recall": 0.70}
    return result
