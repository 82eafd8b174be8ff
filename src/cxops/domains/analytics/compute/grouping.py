"""Fast selection and grouped sums over the contact frame (numpy bincount on combined category codes).

A pandas groupby over a million rows and ~25 sum columns takes a few hundred ms; combining the key codes
into one integer and summing each column with `np.bincount` takes a few ms per column. Only the columns a
query needs are ever materialised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

DENSE_LIMIT = 4_000_000  # key spaces up to this size are summed densely (no sort)


class Selection:
    """Rows [lo, hi) of a time-sorted frame, optionally masked; columns are read lazily."""

    def __init__(self, frame: pd.DataFrame, lo: int, hi: int, mask: np.ndarray | None = None) -> None:
        self.frame, self.lo, self.hi, self.mask = frame, lo, hi, mask

    def __len__(self) -> int:
        return self.hi - self.lo if self.mask is None else int(self.mask.sum())

    def values(self, name: str) -> np.ndarray:
        """The column's values for the selected rows."""
        return self.take(self.frame[name].to_numpy())

    def take(self, column: np.ndarray) -> np.ndarray:
        """The selected rows of an array aligned with the whole frame."""
        arr = column[self.lo : self.hi]
        return arr if self.mask is None else arr[self.mask]

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A categorical column as (codes of the selected rows, labels of all categories)."""
        cat = self.frame[name].array
        codes = np.asarray(cat.codes)[self.lo : self.hi]
        return (codes if self.mask is None else codes[self.mask]), np.asarray(cat.categories, dtype=object)


def select_rows(
    frame: pd.DataFrame, *, since: float, until: float, filters: Mapping[str, str] | None = None
) -> Selection:
    """Contacts started in [since, until) (binary search on the sorted times) matching every filter."""
    ts = frame["ts"].to_numpy()
    lo, hi = int(np.searchsorted(ts, since, "left")), int(np.searchsorted(ts, until, "left"))
    mask: np.ndarray | None = None
    for dim, value in (filters or {}).items():
        cat = frame[dim].array
        code = int(cat.categories.get_indexer([value])[0])
        hit = np.asarray(cat.codes)[lo:hi] == code if code >= 0 else np.zeros(hi - lo, dtype=bool)
        mask = hit if mask is None else mask & hit
    return Selection(frame, lo, hi, mask)


def bucket_codes(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, distinct bucket values) for non-decreasing bucket starts (rows are time-sorted)."""
    if buckets.size == 0:
        return np.zeros(0, dtype=np.int64), buckets
    change = np.empty(buckets.size, dtype=bool)
    change[0] = True
    np.not_equal(buckets[1:], buckets[:-1], out=change[1:])
    return np.cumsum(change) - 1, buckets[change]


def group_sums(
    arrays: Mapping[str, np.ndarray | None], keys: Sequence[tuple[str, np.ndarray, np.ndarray]], n: int
) -> pd.DataFrame:
    """Sum every array per distinct combination of the key codes; one row per combination present.

    Args:
        arrays: column name -> values (length n) to sum, or None for a column of zeros.
        keys: (name, codes in 0..len(labels)-1, labels) per grouping key, outermost first.
        n: number of rows.

    Returns:
        DataFrame with the key labels then the sums, sorted by the keys' code order.
    """
    if not keys:
        return pd.DataFrame({c: [0.0 if a is None else float(np.sum(a))] for c, a in arrays.items()})
    shape = [max(1, len(labels)) for _, _, labels in keys]
    combined = np.zeros(n, dtype=np.int64)
    for (_, codes, _), width in zip(keys, shape, strict=True):
        combined = combined * width + codes
    size = int(np.prod(shape, dtype=np.float64))
    if size <= DENSE_LIMIT:
        inverse, groups, flat_of = combined, size, None
    else:
        flat_of, inverse = np.unique(combined, return_inverse=True)
        groups = len(flat_of)
    present = np.flatnonzero(np.bincount(inverse, minlength=groups))
    flat = present if flat_of is None else flat_of[present]
    out: dict[str, Any] = {}
    for (name, _, labels), pos in zip(keys, np.unravel_index(flat, shape), strict=True):
        out[name] = labels[pos]
    for col, values in arrays.items():
        if values is None:  # a column known to be all zero (e.g. an unbound score source)
            out[col] = np.zeros(len(present))
            continue
        out[col] = np.bincount(inverse, weights=values.astype(np.float64, copy=False), minlength=groups)[present]
    return pd.DataFrame(out)
