"""Repeat-contact detection: for each contact, the time until the same customer's next contact on the same intent."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def next_same_gap(customer: npt.ArrayLike, intent: npt.ArrayLike, ts: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Seconds from each contact to the next contact of the same customer on the same intent.

    A contact is a *repeat* of an earlier one when the gap is at most N days (N chosen per query), which is
    how first-contact resolution, repeat-contact rate and verified automation resolution are defined.

    Args:
        customer: integer customer codes, -1 for an unknown customer (never matched).
        intent: integer intent codes, -1 for an unknown intent (never matched).
        ts: contact start times in epoch seconds.

    Returns:
        float array aligned with the inputs: gap in seconds, or +inf when there is no later contact (or the
        customer or intent is unknown). Ties in time are ordered by input position.
    """
    cust = np.asarray(customer, dtype=np.int64)
    inten = np.asarray(intent, dtype=np.int64)
    t = np.asarray(ts, dtype=np.float64)
    n = t.shape[0]
    gap = np.full(n, np.inf)
    if n < 2:
        return gap
    order = np.lexsort((np.arange(n), t, inten, cust))
    c, i, tt = cust[order], inten[order], t[order]
    same = (c[1:] == c[:-1]) & (i[1:] == i[:-1]) & (c[:-1] >= 0) & (i[:-1] >= 0)
    diffs = np.where(same, tt[1:] - tt[:-1], np.inf)
    sorted_gap = np.append(diffs, np.inf)
    gap[order] = sorted_gap
    return gap
