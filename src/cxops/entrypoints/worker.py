"""The worker process: event consumers and the recovery of interrupted actions, stateless, any number at once.

NATS mode (CXOPS_NATS_URL set): the outbox relay and one durable pull consumer per consumer name; several
workers share each durable consumer, so adding workers adds throughput. Embedded mode: the outbox dispatcher
(several dispatchers are safe too: `apply_once` makes a second application a no-op). In both modes a thread
resumes action proposals left 'executing' past CXOPS_ACTIONS_RECOVERY_LEASE_S (each claimed once, so any number
of workers may sweep).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

from sqlalchemy.orm import Session, sessionmaker

from cxops.contracts.events import BULK_EVENT_TYPES
from cxops.core.config import Settings
from cxops.core.db import make_session_factory
from cxops.core.events import OutboxDispatcher, Subscriptions
from cxops.core.logging import configure_logging
from cxops.core.migrate import upgrade
from cxops.core.process import tune_gc
from cxops.entrypoints.actions_wiring import action_recovery, actions_runtime
from cxops.entrypoints.preflight import require_services
from cxops.integrations.nats.bus import NatsEventBus
from cxops.integrations.nats.config import NatsBusConfig, safe_url

log = logging.getLogger("cxops.worker")


def run_worker(settings: Settings, subscriptions: Subscriptions, *, wait_s: float = 30.0, relay: bool = True) -> None:
    """Run consumers until SIGTERM/SIGINT; ServiceUnavailable (with a clear message) if a service stays down."""
    configure_logging(settings.log_level)
    engine = require_services(settings, wait_s=wait_s, need_nats=True)
    upgrade(engine)
    factory = make_session_factory(engine)
    recovery = action_recovery(settings, factory, actions_runtime(factory))
    tune_gc()
    recovery.start()
    try:
        if settings.nats_url:
            asyncio.run(_run_nats(settings, factory, subscriptions, relay=relay))
        else:
            _run_embedded(factory, subscriptions)
    finally:
        recovery.stop()
        engine.dispose()


async def _run_nats(
    settings: Settings, factory: sessionmaker[Session], subscriptions: Subscriptions, *, relay: bool
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bus = NatsEventBus(factory, subscriptions, NatsBusConfig.from_settings(settings), relay=relay)
    await bus.connect()
    names = sorted(subscriptions.by_consumer())
    log.info("worker started (nats)", extra={"nats_url": safe_url(settings.nats_url), "consumers": names})
    try:
        await bus.run(stop)
    finally:
        await bus.close()
        log.info("worker stopped")


def _run_embedded(factory: sessionmaker[Session], subscriptions: Subscriptions) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    dispatcher = OutboxDispatcher(factory, subscriptions, bulk_types=BULK_EVENT_TYPES)
    log.info("worker started (embedded outbox dispatcher)", extra={"consumers": sorted(subscriptions.by_consumer())})
    dispatcher.start()  # a lane for the history batches, one for everything else (each retries on its own)
    try:
        while not stop.wait(1.0):  # each lane polls for the commits of other processes every 0.5 s
            pass
    finally:
        dispatcher.stop()
    log.info("worker stopped")
