"""ASGI entry for uvicorn workers: `cxops.entrypoints.http.asgi:app`."""

from cxops.entrypoints.http.app import create_app

app = create_app()
