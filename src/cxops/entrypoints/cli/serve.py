"""`cxops serve`: the API and console with uvicorn."""

from __future__ import annotations

import os

import typer
import uvicorn

from cxops.core.config import Settings, get_settings
from cxops.entrypoints.cli.common import cli_errors, console
from cxops.entrypoints.preflight import require_services
from cxops.integrations.nats import health as nats_health


def serve(
    host: str = typer.Option(None, help="bind address (default CXOPS_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default CXOPS_PORT or 8000)"),
    workers: int = typer.Option(None, min=1, max=64, help="worker processes (default CXOPS_WORKERS or 1)"),
    wait: float = typer.Option(30.0, min=0, help="seconds to wait for the database at start before giving up"),
) -> None:
    """Serve the HTTP API and the web console."""
    run_server(host=host, port=port, workers=workers, wait=wait)


def run_server(*, host: str | None, port: int | None, workers: int | None, wait: float = 30.0) -> None:
    """What `cxops serve` does, callable with plain values (`cxops demo` serves through it; calling the Typer
    command function from Python would pass its unset options as OptionInfo objects)."""
    with cli_errors():
        settings = _with_workers(get_settings(), workers)
        require_services(settings, wait_s=wait, need_nats=False).dispose()
    problem = nats_health.check(settings.nats_url) if settings.nats_url else None
    if problem:
        console.print(
            f"[bold yellow]warning:[/] {problem} The API starts and writes events to the outbox; "
            "/readyz says not ready until NATS answers."
        )
    uvicorn.run(
        "cxops.entrypoints.http.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        ws_per_message_deflate=settings.ws_compression,
    )


def _with_workers(settings: Settings, workers: int | None) -> Settings:
    """Settings with --workers applied, also for the app uvicorn builds in this process or in its workers.

    Each worker process reads its settings from the environment (CXOPS_WORKERS) and divides the cores among
    the workers for its assist inference processes, so the command-line value must reach it there.
    """
    if workers is None:
        return settings
    os.environ["CXOPS_WORKERS"] = str(workers)
    get_settings.cache_clear()
    return get_settings()
