"""The intents benchmark's data readers and embedding cache (the figures themselves come from `cxops bench`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cxops.entrypoints.bench import intents as bench
from tests.knowledge_support import MODEL_CACHE


def test_embeddings_are_cached_by_content(tmp_path: Path) -> None:
    encode = bench.CachedEncoder(tmp_path / "cache", MODEL_CACHE)
    first = encode(["where is my card", "exchange rate please"])
    assert first.shape == (2, 384) and encode.embed_s > 0
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1
    spent = encode.embed_s
    np.testing.assert_array_equal(encode(["where is my card", "exchange rate please"]), first)
    assert encode.embed_s == spent  # served from the cache
    encode(["exchange rate please", "where is my card"])  # other content (order matters): embedded again
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2


def test_the_shared_data_sets_read_as_documented() -> None:
    (train_t, train_l), (test_t, test_l) = bench.banking77()
    assert (len(train_t), len(test_t)) == (10003, 3080) and len(set(train_l)) == 77 == len(set(test_l))
    clinc = bench.clinc150()
    assert {k: len(v[0]) for k, v in clinc.items()} == {
        "train": 15000,
        "val": 3000,
        "test": 4500,
        "oos_train": 100,
        "oos_val": 100,
        "oos_test": 1000,
    }
    assert set(clinc["oos_test"][1]) == {"oos"} and len(set(clinc["train"][1])) == 150
