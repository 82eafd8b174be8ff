"""Helpers shared by every CLI command (entrypoints and domains' cli.py): a migrated session factory, clear errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings, get_settings
from cxops.core.db import make_engine, make_session_factory
from cxops.core.errors import CxopsError
from cxops.core.migrate import upgrade

console = Console(stderr=True, soft_wrap=True)  # never break paths or messages across lines


def fail(message: str, code: int = 2) -> None:
    """Print a clear error and exit non-zero."""
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def parse_since(value: str, option: str = "--since") -> datetime:
    """An ISO date or timestamp given on the command line (UTC when it has no offset); exits with a message."""
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not an ISO date such as 2026-11-01")
        raise
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def open_db(settings: Settings | None = None) -> sessionmaker[Session]:
    """A session factory on the configured database, migrated to the newest schema."""
    settings = settings or get_settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
    except Exception as exc:
        fail(
            f"cannot reach or migrate the database at {_safe_url(settings.effective_database_url)}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}. Check CXOPS_DATABASE_URL and that "
            "the server is running."
        )
    return make_session_factory(engine)


def _safe_url(url: str) -> str:
    """The URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn CxopsError into a clear message and exit code 2."""
    try:
        yield
    except CxopsError as exc:
        where = f" ({exc.field})" if exc.field else ""
        fail(f"{exc.message}{where}")


def is_tty() -> bool:
    return sys.stderr.isatty()
