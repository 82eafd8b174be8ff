"""`cxops demo`: generate a realistic contact centre, load it, create an admin key, and serve."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys as keys_service
from cxops.core.config import get_settings
from cxops.core.db import unit_of_work
from cxops.entrypoints import demo_seeds
from cxops.entrypoints.cli.common import cli_errors, console, open_db
from cxops.entrypoints.cli.serve import run_server
from cxops.entrypoints.demo import (
    DEMO_HELP_SOURCE,
    LoadSummary,
    already_loaded,
    ensure_admin_key,
    ensure_demo_knowledge,
    load_demo,
)
from cxops.entrypoints.intents_wiring import ensure_demo_intent_model
from cxops.entrypoints.redaction import ingestion_redactor
from cxops.integrations.demo import DemoConfig, DemoDay, Generator
from cxops.integrations.embeddings import default_embedder

DEMO_ORG = "default"
KEY_FILE = "admin-key.txt"


def demo(
    days: int = typer.Option(60, "--days", min=1, max=366, help="days of history, ending today"),
    seed: int = typer.Option(7, "--seed", help="random seed (the same seed gives the same data)"),
    volume: int = typer.Option(1200, "--volume", min=1, max=100_000, help="mean contacts per day"),
    no_serve: bool = typer.Option(False, "--no-serve", help="load the data and exit"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port to serve on"),
) -> None:
    """Generate and load a demo contact centre (idempotent), then serve the API and console."""
    settings = get_settings()
    factory = open_db(settings)
    now = datetime.now(UTC)
    config = DemoConfig(seed=seed, days=days, volume=volume, end=now.date(), until=now)
    key_path = settings.data_dir / KEY_FILE
    with cli_errors(), unit_of_work(factory) as session:
        org_id = keys_service.ensure_organisation(session, slug=DEMO_ORG).id
        loaded = already_loaded(session, org_id=org_id, source=config.source)
        new_key = ensure_admin_key(session, org_id=org_id, path=key_path)
    if loaded:
        console.print("The demo data is already loaded" + ("." if no_serve else "; serving it as it is."))
    else:
        with cli_errors():
            summary, elapsed = _load(factory, org_id, config)
        if summary.interactions_failed:
            console.print(f"[yellow]warning:[/] {summary.interactions_failed} generated interactions were refused")
        console.print(
            f"Loaded {summary.interactions_created:,} interactions and {summary.states_created:,} agent state "
            f"events over {summary.days} days in {elapsed:.0f} s."
        )
    with console.status("Preparing the demo intent model"):
        ensure_demo_intent_model(settings)
    with console.status("Indexing the demo help centre"), cli_errors():
        added = ensure_demo_knowledge(
            factory,
            org_id=org_id,
            org_slug=DEMO_ORG,
            settings=settings,
            embedder=default_embedder(settings.effective_models_dir),
        )
    if added:
        console.print(f"Indexed {added} help-centre articles (knowledge source '{DEMO_HELP_SOURCE}').")
    for what, seed_step in demo_seeds.ordered():  # each is idempotent: a second demo run adds nothing
        with console.status(f"Seeding the demo's {what}"), cli_errors():
            console.print(seed_step(factory, org_id=org_id, settings=settings, now=now))
    console.print(
        f"Admin API key {'written to' if new_key else 'kept in'} {key_path.resolve()} (readable only by you).\n"
        f"Sign in at http://127.0.0.1:{port}/ by pasting that key (e.g. `cat {key_path}`)."
    )
    if not no_serve:
        run_server(host="127.0.0.1", port=port, workers=1)


def _load(factory: sessionmaker[Session], org_id: uuid.UUID, config: DemoConfig) -> tuple[LoadSummary, float]:
    generator = Generator(config)
    started = time.perf_counter()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("Generating and loading days", total=config.days)

        def advance(day: DemoDay, summary: LoadSummary) -> None:
            progress.update(
                task, advance=1, description=f"{day.day.isoformat()}: {summary.interactions_created:,} interactions"
            )

        summary = load_demo(
            factory,
            org_id=org_id,
            spec=generator.directory(),
            days=generator.days(),
            on_day=advance,
            redactor=ingestion_redactor(get_settings()),
        )
    return summary, time.perf_counter() - started
