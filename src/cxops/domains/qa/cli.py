"""`cxops qa`: publish a scorecard, score history in bulk, print the calibration report."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import orjson
import typer
from rich.progress import Progress
from sqlalchemy import exists, func, select

from cxops.core import keys
from cxops.core.cli import cli_errors, console, fail, open_db, parse_since
from cxops.core.db import unit_of_work
from cxops.domains.interactions.public import Interaction, Turn
from cxops.domains.qa import insight, service
from cxops.domains.qa.compute.model import SERVING, Encoder
from cxops.domains.qa.ports import QaFacts

app = typer.Typer(help="Quality assurance: scorecards, bulk scoring, calibration.", no_args_is_help=True)
DEFAULT_ORG = "default"
_ENCODER: list[Callable[[], Encoder | None]] = []
_FACTS: list[QaFacts] = []


def bind_encoder(provider: Callable[[], Encoder | None]) -> None:
    """Entrypoints bind the sentence encoder provider (a callable returning an Encoder or None)."""
    _ENCODER.append(provider)


def _encoder() -> Encoder | None:
    return _ENCODER[-1]() if _ENCODER else None


def bind_facts(facts: QaFacts) -> None:
    """Entrypoints bind what other domains hold about an interaction (actions, cited articles), as the API uses."""
    _FACTS.append(facts)


@app.command("publish")
def publish(path: Path, org: str = typer.Option(DEFAULT_ORG, "--org")) -> None:
    """Publish the scorecard in PATH (YAML) as the active version."""
    if not path.is_file():
        fail(f"{path} does not exist or is not a file")
    with cli_errors(), unit_of_work(open_db()) as session:
        org_id = keys.ensure_organisation(session, slug=org).id
        row = service.upload_scorecard(session, org_id=org_id, source=path.read_text(encoding="utf-8"))
        console.print(f"published '{row.name}' version {row.version}")


@app.command("score")
def score(
    since: str = typer.Option(..., "--since", help="ISO date or datetime, e.g. 2026-09-01"),
    org: str = typer.Option(DEFAULT_ORG, "--org"),
    batch: int = typer.Option(200, "--batch", min=1, max=5000),
) -> None:
    """Score every ended interaction since a date with the active scorecards (progress bar, one commit per batch).

    Interactions no agent (human or AI) took part in (abandoned in the queue or the IVR) are not scored, and any
    evaluation they were given before is dropped."""
    start = parse_since(since)
    factory = open_db()
    with cli_errors(), unit_of_work(factory) as session:
        org_id = keys.ensure_organisation(session, slug=org).id
        if not service.active_scorecards(session, org_id):
            fail("no active scorecard: publish one first (cxops qa publish FILE)")
        where = (Interaction.org_id == org_id, Interaction.started_at >= start, Interaction.ended_at.is_not(None))
        total = session.scalar(select(func.count()).select_from(Interaction).where(*where)) or 0
        ids = [i for (i,) in session.execute(select(Interaction.id).where(*where).order_by(Interaction.started_at))]
        served = exists().where(Turn.interaction_id == Interaction.id, Turn.speaker.in_(SERVING))
        agentless = session.scalar(select(func.count()).select_from(Interaction).where(*where, ~served)) or 0
    encoder, facts, scored = _encoder(), (_FACTS[-1] if _FACTS else None), 0
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("scoring", total=total)
        for k in range(0, len(ids), batch):
            chunk: list[uuid.UUID] = ids[k : k + batch]
            with unit_of_work(factory) as session:
                scored += len(
                    service.score_interactions(
                        session, org_id=org_id, interaction_ids=chunk, encoder=encoder, facts=facts
                    )
                )
            bar.advance(task, len(chunk))
    skipped = f"; {agentless} with no agent or AI turn not scored (nothing to evaluate)" if agentless else ""
    console.print(f"scored {total - agentless} interactions ({scored} evaluations){skipped}")


@app.command("calibration")
def calibration(org: str = typer.Option(DEFAULT_ORG, "--org")) -> None:
    """Agreement with human evaluators per criterion (JSON)."""
    with cli_errors(), unit_of_work(open_db()) as session:
        org_id = keys.ensure_organisation(session, slug=org).id
        typer.echo(
            orjson.dumps(insight.calibration_report(session, org_id=org_id), option=orjson.OPT_INDENT_2).decode()
        )
