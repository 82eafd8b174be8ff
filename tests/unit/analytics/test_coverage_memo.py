"""The coverage memo of the analytics ports: an intent is computed once per version of the evidence, whatever
intents it is asked with (the opportunity map filtered to one intent, then the whole map)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from cxops.entrypoints.analytics_ports import _Memo

ORG = uuid.UUID("00000000-0000-7000-8000-000000000001")
EVIDENCE = {"parcel": 1.0, "billing": 0.25}  # "crypto" has no evidence: no value, and not asked for again


def test_each_intent_is_computed_once_per_version() -> None:
    asked: list[list[str]] = []

    def compute(todo: list[str]) -> Mapping[str, float]:
        asked.append(todo)
        return {i: EVIDENCE[i] for i in todo if i in EVIDENCE}

    memo = _Memo()
    assert memo.coverage(ORG, ("v1",), ["parcel"], compute) == {"parcel": 1.0}
    assert memo.coverage(ORG, ("v1",), ["billing", "crypto", "parcel"], compute) == {"billing": 0.25, "parcel": 1.0}
    assert memo.coverage(ORG, ("v1",), ["crypto", "parcel"], compute) == {"parcel": 1.0}
    assert asked == [["parcel"], ["billing", "crypto"]]
    # new evidence (a sync, the next day): computed again, only what is asked
    assert memo.coverage(ORG, ("v2",), ["billing"], compute) == {"billing": 0.25}
    assert asked[-1] == ["billing"]
    # another organisation has a memo of its own
    other = uuid.UUID("00000000-0000-7000-8000-000000000002")
    assert memo.coverage(other, ("v2",), ["billing"], compute) == {"billing": 0.25} and len(asked) == 4
