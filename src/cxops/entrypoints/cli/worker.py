"""`cxops worker`: event consumers (NATS relay + durable consumers, or the embedded outbox dispatcher)."""

from __future__ import annotations

import typer
from prometheus_client import start_http_server

from cxops.core.config import get_settings
from cxops.entrypoints.cli.common import cli_errors
from cxops.entrypoints.http.app import build_subscriptions
from cxops.entrypoints.worker import run_worker


def worker(
    wait: float = typer.Option(30.0, min=0, help="seconds to wait for PostgreSQL/NATS at start before giving up"),
    relay: bool = typer.Option(True, help="also relay the outbox to NATS (NATS mode)"),
    metrics_port: int = typer.Option(0, min=0, max=65535, help="serve Prometheus metrics on this port (0: off)"),
) -> None:
    """Run the event consumers of every domain until SIGTERM; stateless, run as many as you need."""
    if metrics_port:
        start_http_server(metrics_port, addr=get_settings().host)
    with cli_errors():
        settings = get_settings()
        run_worker(settings, build_subscriptions(settings.effective_models_dir), wait_s=wait, relay=relay)
