"""`cxops assist document`: write (or rewrite) the documentation of ended interactions since a date."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import typer
from rich.progress import Progress
from sqlalchemy import func, select

from cxops.core import keys
from cxops.core.cli import cli_errors, console, open_db, parse_since
from cxops.core.db import unit_of_work
from cxops.domains.assist import documentation
from cxops.domains.assist.doc_ports import DocumentationPorts
from cxops.domains.interactions.public import Interaction

app = typer.Typer(help="Real-time assist: auto-documentation of ended interactions.", no_args_is_help=True)
DEFAULT_ORG = "default"
_PORTS: list[Callable[[], DocumentationPorts]] = []


def bind_ports(provider: Callable[[], DocumentationPorts]) -> None:
    """Entrypoints bind the documentation ports (encoder, intent model, optional LLM)."""
    _PORTS.append(provider)


def _ports() -> DocumentationPorts:
    return _PORTS[-1]() if _PORTS else DocumentationPorts()


@app.command("document")
def document(
    since: str = typer.Option(..., "--since", help="ISO date or datetime, e.g. 2026-11-01"),
    org: str = typer.Option(DEFAULT_ORG, "--org"),
    batch: int = typer.Option(100, "--batch", min=1, max=2000, help="interactions per transaction"),
    missing_only: bool = typer.Option(False, "--missing-only", help="skip interactions already documented"),
    generative: bool = typer.Option(
        True, "--generative/--no-generative", help="queue generative summaries when CXOPS_LLM_URL is set"
    ),
) -> None:
    """Document every ended interaction started since a date (progress bar, one commit per batch)."""
    start = parse_since(since)
    factory = open_db()
    with cli_errors(), unit_of_work(factory) as session:
        org_id = keys.ensure_organisation(session, slug=org).id
        where = (Interaction.org_id == org_id, Interaction.started_at >= start, Interaction.ended_at.is_not(None))
        total = session.scalar(select(func.count()).select_from(Interaction).where(*where)) or 0
        ids = [i for (i,) in session.execute(select(Interaction.id).where(*where).order_by(Interaction.started_at))]
    if not ids:
        console.print(f"no ended interactions since {start.isoformat()} in organisation '{org}'")
        return
    ports, written = _ports(), 0
    with cli_errors(), Progress(console=console, transient=True) as bar:
        task = bar.add_task("documenting", total=total)
        for k in range(0, len(ids), batch):
            chunk: list[uuid.UUID] = ids[k : k + batch]
            with unit_of_work(factory) as session:
                rows = documentation.document_interactions(
                    session,
                    org_id=org_id,
                    interaction_ids=chunk,
                    ports=ports,
                    generative="defer" if generative else "skip",
                    only_missing=missing_only,
                )
                written += len(rows)
            bar.advance(task, len(chunk))
    console.print(f"documented {written} of {total} ended interactions since {start.isoformat()}")
