"""A real worker process for the fault tests: `run_worker` with a consumer that writes one row per item.

Usage: python worker_proc.py DB_URL NATS_URL STREAM DELAY_S
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from cxops.core.config import load_settings
from cxops.core.events import Delivered, Subscriptions
from cxops.entrypoints.worker import run_worker


def main() -> None:
    db_url, nats_url, stream, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

    def effect(session: Session, event: Delivered) -> None:
        for item in event.payload["interaction_ids"]:
            session.execute(
                text("INSERT INTO test_effect (event_id, item) VALUES (:e, :i)"), {"e": str(event.id), "i": item}
            )
        time.sleep(delay)

    subs = Subscriptions()
    subs.subscribe("interactions.ended", "test.effect", effect)
    settings = load_settings(
        {
            "CXOPS_DATABASE_URL": db_url,
            "CXOPS_NATS_URL": nats_url,
            "CXOPS_NATS_STREAM": stream,
            "CXOPS_NATS_ACK_WAIT_SECONDS": "2",
            "CXOPS_NATS_MAX_DELIVER": "20",
            "CXOPS_LOG_LEVEL": "WARNING",
        }
    )
    run_worker(settings, subs, wait_s=10)


if __name__ == "__main__":
    main()
