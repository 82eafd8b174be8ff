"""`cxops bench qa`: scoring throughput with the demo scorecard (12 criteria, one semantic) on generated calls.

The demo generator writes voice calls of about 20 turns; each benchmark interaction joins two consecutive
generated calls (the second's offsets shifted after the first) into one transcript of about 40 turns, as the
issue's figure asks. The semantic criterion runs the packaged MiniLM (onnxruntime int8, one thread) on the
turns it looks at, behind the LRU cache the scoring worker uses (each distinct line embedded once; the
cold start is included in the timing and the hit rate is reported).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from cxops.core.config import get_settings
from cxops.domains.qa.compute.cache import CachingEncoder
from cxops.domains.qa.compute.model import InteractionView, TurnView
from cxops.domains.qa.compute.scorecard import parse_scorecard, score
from cxops.integrations.demo import DemoConfig, Generator
from cxops.integrations.embeddings import MiniLMEmbedder

DEMO_CARD = Path(__file__).resolve().parents[2] / "domains" / "qa" / "scorecards" / "demo.yaml"


def view_of(record: dict[str, Any]) -> InteractionView:
    """An ingestion-shaped record as QA sees it."""
    turns = tuple(
        TurnView(i, t["speaker"], t["offset_ms"], t.get("end_offset_ms"), t["text"], t.get("sentiment"))
        for i, t in enumerate(record["turns"])
    )
    return InteractionView(turns=turns, hold_s=float(record.get("hold_s", 0)), outcome=record.get("outcome"))


def _joined(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    shift = max(t.get("end_offset_ms") or t["offset_ms"] for t in a["turns"]) + 2000
    later = [
        {
            **t,
            "offset_ms": t["offset_ms"] + shift,
            "end_offset_ms": None if t.get("end_offset_ms") is None else t["end_offset_ms"] + shift,
        }
        for t in b["turns"]
    ]
    return {**b, "turns": a["turns"] + later, "hold_s": a.get("hold_s", 0) + b.get("hold_s", 0)}


def long_calls(n: int) -> list[InteractionView]:
    """`n` transcripts of about 40 turns, each two consecutive generated voice calls joined."""
    gen = Generator(DemoConfig(seed=11, days=30, volume=1500))
    out: list[InteractionView] = []
    for day in gen.days():
        calls = [r for r in day.interactions if r["channel"] == "voice" and len(r["turns"]) >= 15]
        out.extend(view_of(_joined(a, b)) for a, b in zip(calls[::2], calls[1::2], strict=False))
        if len(out) >= n:
            break
    return out[:n]


def run(quick: bool = False) -> dict[str, Any]:
    """Interactions scored per second on one process."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    card = parse_scorecard(DEMO_CARD.read_text(encoding="utf-8"))
    views = long_calls(200 if quick else 1500)
    embedder = MiniLMEmbedder(get_settings().effective_models_dir)
    embedder.warm_up()
    encoder = CachingEncoder(embedder.encode)
    started = time.perf_counter()
    totals = [score(card, v, encoder).total for v in views]
    elapsed = time.perf_counter() - started
    return {
        "interactions_per_s": round(len(views) / elapsed, 1),
        "interactions": len(views),
        "mean_turns": round(sum(len(v.turns) for v in views) / len(views), 1),
        "criteria": len(card.criteria),
        "mean_score": round(sum(totals) / len(totals), 1),
        "embedding_cache_hit_rate": round(encoder.hit_rate, 3),
    }
