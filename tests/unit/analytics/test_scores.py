"""Score columns: a versioned port is read once per version and aligned with the contact frame."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pandas as pd

from cxops.domains.analytics.config import AnalyticsConfig
from cxops.domains.analytics.scores import ScoreColumns, align

A, B, C = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
ORG = uuid.UUID(int=99)


def frame(*ids: uuid.UUID) -> pd.DataFrame:
    return pd.DataFrame({"id": [i.hex for i in ids], "ts": np.arange(len(ids), dtype=np.int64) + 1000})


class Port:
    def __init__(self) -> None:
        self.reads, self.token, self.values = 0, "v1", {A: 100.0, B: 0.0}

    def scores(self, session: Any, *, org_id: uuid.UUID, since: Any, until: Any) -> dict[uuid.UUID, float]:
        self.reads += 1
        return dict(self.values)

    def version(self, session: Any, *, org_id: uuid.UUID) -> str:
        return self.token


def test_align_puts_scores_in_frame_order_with_nan_for_the_rest() -> None:
    by_id = pd.Series({B.hex: 0.0, A.hex: 100.0})
    got = align(frame(C, A, B), by_id)
    assert np.isnan(got[0]) and got[1:].tolist() == [100.0, 0.0]
    assert np.isnan(align(frame(A), pd.Series(dtype=np.float64))).all()


def test_read_once_per_version_and_realigned_per_frame() -> None:
    cols = ScoreColumns(AnalyticsConfig(min_reload_s=0, background_reload=False))
    port, first = Port(), frame(A, B, C)
    got = cols.get(None, org_id=ORG, name="trust", port=port, frame=first)  # type: ignore[arg-type]
    assert got[:2].tolist() == [100.0, 0.0] and np.isnan(got[2]) and port.reads == 1
    cols.get(None, org_id=ORG, name="trust", port=port, frame=first)  # type: ignore[arg-type]
    assert port.reads == 1  # same version: not read again
    second = frame(C, B, A)  # a reloaded frame: the same scores, aligned again without a read
    got = cols.get(None, org_id=ORG, name="trust", port=port, frame=second)  # type: ignore[arg-type]
    assert np.isnan(got[0]) and got[1:].tolist() == [0.0, 100.0] and port.reads == 1
    port.token, port.values = "v2", {C: 50.0}
    got = cols.get(None, org_id=ORG, name="trust", port=port, frame=second)  # type: ignore[arg-type]
    assert got[0] == 50.0 and np.isnan(got[1:]).all() and port.reads == 2


def test_version_is_checked_at_most_every_min_reload_s() -> None:
    cols = ScoreColumns(AnalyticsConfig(min_reload_s=3600, background_reload=False))
    port, f = Port(), frame(A)
    cols.get(None, org_id=ORG, name="trust", port=port, frame=f)  # type: ignore[arg-type]
    port.token, port.values = "v2", {A: 0.0}
    assert cols.get(None, org_id=ORG, name="trust", port=port, frame=f).tolist() == [100.0]  # type: ignore[arg-type]
    cols.invalidate(ORG)
    assert cols.get(None, org_id=ORG, name="trust", port=port, frame=f).tolist() == [0.0]  # type: ignore[arg-type]
