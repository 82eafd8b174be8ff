"""Grouped sums by combined category codes agree with pandas groupby, on the dense and the sparse path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxops.domains.analytics.compute import grouping
from cxops.domains.analytics.compute.grouping import bucket_codes, group_sums


@pytest.mark.parametrize("dense_limit", [grouping.DENSE_LIMIT, 0])
def test_group_sums_match_pandas(monkeypatch, dense_limit: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(grouping, "DENSE_LIMIT", dense_limit)
    rng = np.random.default_rng(3)
    n = 5000
    a, b = rng.integers(0, 7, n), rng.integers(0, 5, n)
    labels_a = np.array([f"a{i}" for i in range(9)], dtype=object)  # two categories never observed
    labels_b = np.array([f"b{i}" for i in range(5)], dtype=object)
    x, y = rng.random(n), (rng.random(n) < 0.3).astype(np.int8)
    got = group_sums({"x": x, "y": y, "z": None}, [("a", a, labels_a), ("b", b, labels_b)], n)
    want = (
        pd.DataFrame({"a": labels_a[a], "b": labels_b[b], "x": x, "y": y})
        .groupby(["a", "b"], sort=True)[["x", "y"]]
        .sum()
        .reset_index()
    )
    assert got[["a", "b"]].values.tolist() == want[["a", "b"]].values.tolist()
    assert np.allclose(got["x"], want["x"]) and got["y"].tolist() == want["y"].tolist()
    assert (got["z"] == 0).all()


def test_bucket_codes_of_sorted_starts() -> None:
    codes, starts = bucket_codes(np.array([0, 0, 900, 900, 900, 2700]))
    assert codes.tolist() == [0, 0, 1, 1, 1, 2] and starts.tolist() == [0, 900, 2700]
    assert bucket_codes(np.array([], dtype=np.int64))[0].size == 0


def test_no_keys_sums_everything() -> None:
    out = group_sums({"x": np.array([1.0, 2.0]), "z": None}, [], 2)
    assert out.to_dict("records") == [{"x": 3.0, "z": 0.0}]
