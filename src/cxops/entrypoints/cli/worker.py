"""`cxops worker`: event consumers (NATS relay + durable consumers, or the embedded outbox dispatcher)."""

from __future__ import annotations

import typer

from cxops.core.config import get_settings
from cxops.entrypoints.cli.common import cli_errors
from cxops.entrypoints.http.app import build_subscriptions
from cxops.entrypoints.worker import run_worker


def worker(
    wait: float = typer.Option(30.0, min=0, help="seconds to wait for PostgreSQL/NATS at start before giving up"),
    relay: bool = typer.Option(True, help="also relay the outbox to NATS (NATS mode)"),
) -> None:
    """Run the event consumers of every domain until SIGTERM; stateless, run as many as you need."""
    with cli_errors():
        run_worker(get_settings(), build_subscriptions(), wait_s=wait, relay=relay)
