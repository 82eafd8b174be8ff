"""`cxops serve`: the API and console with uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from cxops.core.config import get_settings


def serve(
    host: str = typer.Option(None, help="bind address (default CXOPS_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default CXOPS_PORT or 8000)"),
    workers: int = typer.Option(None, help="worker processes (default CXOPS_WORKERS or 1)"),
) -> None:
    """Serve the HTTP API and the web console."""
    settings = get_settings()
    uvicorn.run(
        "cxops.entrypoints.http.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_config=None,
        access_log=False,
    )
