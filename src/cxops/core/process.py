"""Process-wide runtime settings for long-running server and worker processes."""

from __future__ import annotations

import gc

# Bulk ingestion allocates tens of thousands of short-lived objects per batch (validated records, rows); with
# CPython's default gen-0 threshold of 700 the cyclic collector ran so often that it took about a fifth of the
# ingestion CPU time (measured: validation 140 -> 55 us per interaction). A larger gen-0 threshold makes each
# young collection rarer, and freezing the objects alive after start-up (modules, metadata, compiled queries)
# keeps full collections from walking them again and again.
GEN0_THRESHOLD = 10_000
_tuned = False


def tune_gc() -> None:
    """Freeze the start-up heap and raise the gen-0 threshold, once per process (after initialisation)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
