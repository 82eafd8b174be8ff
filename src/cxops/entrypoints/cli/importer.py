"""`cxops import FILE --format F`: stream a file through an importer into the database, idempotently.

Exit codes: 0 all records imported (created, updated or unchanged), 1 some records failed (the good ones
are kept), 2 the input is unusable (missing file, unknown format, not JSON/CSV, empty, bad options).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import orjson
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from cxops.contracts.interactions import BatchSummary, LineResult
from cxops.core.config import get_settings
from cxops.core.db import unit_of_work
from cxops.core.keys import ensure_organisation
from cxops.domains.interactions.public import BatchIngestor, parse_obj
from cxops.entrypoints.cli.common import cli_errors, console, fail, is_tty, open_db
from cxops.entrypoints.redaction import ingestion_redactor
from cxops.integrations.importers import Importer, ImportOptions, UnusableInput, get_importer

LINE_NUMBERED = {"ndjson", "csv"}
PROGRESS_EVERY = 200


def import_file(
    file: Path = typer.Argument(..., help="the file to import"),
    fmt: str = typer.Option(..., "--format", "-f", help="contact-lens, genesys, zendesk, ndjson or csv"),
    org: str = typer.Option("default", "--org", help="organisation slug (created if new)"),
    source: str | None = typer.Option(
        None, "--source", help="source system name; default: the format's name (ndjson/csv: fills records without one)"
    ),
    batch_size: int = typer.Option(500, "--batch-size", min=1, max=10_000, help="records per transaction"),
    external_id: str | None = typer.Option(
        None, "--external-id", "--source-id", help="contact id for a Contact Lens file that names none"
    ),
    started_at: str | None = typer.Option(
        None, "--started-at", help="ISO 8601 start with offset, for files without one (Contact Lens voice)"
    ),
    agent: str | None = typer.Option(None, "--agent", help="agent code for a Contact Lens file (it names none)"),
    show_errors: int = typer.Option(10, "--show-errors", min=0, max=1000, help="how many errors to print"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON object"),
) -> None:
    """Import interactions from a file; re-importing the same file changes nothing."""
    try:
        importer = get_importer(fmt)
    except UnusableInput as exc:
        fail(exc.message)
        return
    if not file.is_file():
        fail(f"{file} does not exist or is not a file")
    options = ImportOptions(
        source=_code(source, "--source"),
        external_id=_code(external_id, "--external-id"),
        started_at=_start(started_at),
        agent=_code(agent, "--agent"),
        file_name=file.name,
    )
    with cli_errors():
        settings = get_settings()
    factory = open_db(settings)
    with cli_errors(), unit_of_work(factory) as session:
        org_id = ensure_organisation(session, slug=org).id
    # the same redaction as the HTTP ingestion path (CXOPS_PII_MODE), so files are no way around it
    redactor = ingestion_redactor(settings)
    summary = _run(importer, file, options, BatchIngestor(factory, org_id, batch_size, redactor=redactor))
    if summary.received == 0:
        fail(f"{file.name}: the file holds no records")
    _report(summary, file, importer.name, show_errors, as_json)
    raise typer.Exit(1 if summary.failed else 0)


def _run(importer: Importer, file: Path, options: ImportOptions, ingestor: BatchIngestor) -> BatchSummary:
    """Stream the file's records into the ingestor; unusable input exits 2 (batches already written stay)."""
    try:
        with file.open("rb") as stream, _progress(file) as advance:
            for count, (number, item) in enumerate(importer.records(stream, options), 1):
                ingestor.add(item if isinstance(item, LineResult) else parse_obj(number, item), number)
                if count % PROGRESS_EVERY == 0:
                    advance(stream)
            ingestor.flush()
    except UnusableInput as exc:
        ingestor.flush()
        fail(f"{file.name}: {exc.message}")
    except UnicodeDecodeError:
        fail(f"{file.name}: the file is not valid UTF-8 text")
    return ingestor.summary


def _code(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 100:
        fail(f"{option} must be 1-100 characters")
    return value


def _start(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(f"--started-at {value!r} is not an ISO 8601 timestamp (e.g. 2026-01-31T09:15:00Z)")
        return None
    if parsed.tzinfo is None:
        fail(f"--started-at {value!r} needs a timezone offset (e.g. 2026-01-31T09:15:00Z)")
    return parsed


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[BinaryIO], None]]:
    """A bytes-read progress bar on a terminal for files over 1 MiB; a no-op otherwise."""
    total = os.path.getsize(file)
    if not is_tty() or total < 1024 * 1024:
        yield lambda _stream: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"importing {file.name}", total=total)

        def advance(stream: BinaryIO) -> None:
            progress.update(task, completed=stream.tell())

        yield advance
        progress.update(task, completed=total)


def _report(summary: BatchSummary, file: Path, fmt: str, show: int, as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(summary.model_dump(mode="json")).decode())
        return
    unit = "line" if fmt in LINE_NUMBERED else "record"
    typer.echo(f"{file.name} ({fmt}):")
    typer.echo(
        f"  received {summary.received}  created {summary.created}  updated {summary.updated}  "
        f"unchanged {summary.unchanged}  failed {summary.failed}"
    )
    if not summary.errors or show == 0:
        return
    shown = summary.errors[:show]
    more = "" if len(shown) == summary.failed else f" (first {len(shown)} of {summary.failed})"
    typer.echo(f"  errors{more}:")
    for result in shown:
        ident = f" [{result.external_id}]" if result.external_id else ""
        for err in result.errors[:3]:
            typer.echo(f"    {unit} {result.line}{ident}: {err.field}: {err.message}")
