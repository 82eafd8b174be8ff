"""Intent models on disk: `<data_dir>/intents/<name>/<version>/` (model.npz, vocabulary.json, meta.json), a new
version per training run, the newest one served. Training reads labelled rows (CSV `text,label`), embeds them
through an injected encoder (entrypoints bind the packaged MiniLM), evaluates on a stratified hold-out, then
trains the served model on every row."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from cxops.domains.assist.compute.intents import (
    META_FILE,
    IntentDataError,
    IntentModel,
    TrainOptions,
    data_hash,
    evaluate,
    fit,
    load,
    refit,
    stratified_split,
)

log = logging.getLogger(__name__)

#: Encodes texts to L2-normalised (n, 384) MiniLM vectors.
Encode = Callable[[Sequence[str]], np.ndarray]
#: Called with (done, total) while texts are embedded.
Progress = Callable[[int, int], None]

MIN_PER_LABEL = 3
ENCODE_BATCH = 256
MAX_TEXT_CHARS = 2000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def intents_root(data_dir: Path) -> Path:
    """Where every intent model lives: `<data_dir>/intents`."""
    return data_dir / "intents"


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class LabelledRows:
    """Usable rows (text, label, line number) and the lines that were rejected, with why."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, str]]:
        return list(zip(self.texts, self.labels, strict=True))


def parse_csv(source: str, *, min_per_label: int = MIN_PER_LABEL) -> LabelledRows:
    """Rows of a CSV with header `text,label`. Bad lines (wrong column count, empty text, missing label, text
    too long) and the rows of labels with fewer than `min_per_label` examples are reported and dropped; a
    missing or wrong header raises IntentDataError."""
    reader = csv.reader(io.StringIO(source.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise IntentDataError("the file is empty; expected a header line 'text,label'") from None
    except csv.Error as exc:
        raise IntentDataError(f"line 1: not valid CSV ({exc})") from exc
    columns = [h.strip().lower() for h in header]
    if columns != ["text", "label"]:
        raise IntentDataError(f"line 1: the header must be 'text,label', not {','.join(header)!r}")
    out = LabelledRows()
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.errors.append(RowError(reader.line_num, f"not valid CSV ({exc})"))
            continue
        if record and any(cell.strip() for cell in record):  # blank lines are skipped
            _add_row(out, reader.line_num, record)
    return _drop_rare(out, min_per_label)


def _add_row(out: LabelledRows, line: int, record: list[str]) -> None:
    if len(record) != 2:
        out.errors.append(RowError(line, f"expected 2 columns (text,label), found {len(record)}"))
        return
    text, label = record[0].strip(), record[1].strip()
    if not text:
        out.errors.append(RowError(line, "empty text"))
    elif not label:
        out.errors.append(RowError(line, "missing label"))
    elif len(text) > MAX_TEXT_CHARS:
        out.errors.append(RowError(line, f"text is {len(text)} characters (at most {MAX_TEXT_CHARS})"))
    else:
        out.texts.append(text)
        out.labels.append(label)
        out.lines.append(line)


def _drop_rare(rows: LabelledRows, min_per_label: int) -> LabelledRows:
    """The rows without those of labels with fewer than `min_per_label` examples (each reported)."""
    counts = Counter(rows.labels)
    rare = {label for label, n in counts.items() if n < min_per_label}
    if not rare:
        return rows
    kept = LabelledRows(errors=list(rows.errors))
    for text, label, line in zip(rows.texts, rows.labels, rows.lines, strict=True):
        if label in rare:
            kept.errors.append(
                RowError(line, f"label {label!r} has {counts[label]} example(s); at least {min_per_label} needed")
            )
        else:
            kept.texts.append(text)
            kept.labels.append(label)
            kept.lines.append(line)
    kept.errors.sort(key=lambda e: e.line)
    return kept


def read_csv(path: Path, *, min_per_label: int = MIN_PER_LABEL) -> LabelledRows:
    """`parse_csv` of a file; raises IntentDataError when it is missing or not UTF-8."""
    if not path.is_file():
        raise IntentDataError(f"{path} does not exist or is not a file")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise IntentDataError(f"{path}: line {line} is not valid UTF-8") from exc
    return parse_csv(source, min_per_label=min_per_label)


def embed(texts: Sequence[str], encode: Encode, progress: Progress | None = None) -> np.ndarray:
    """Embed in batches, reporting progress; returns (n, 384) float32."""
    parts: list[np.ndarray] = []
    for start in range(0, len(texts), ENCODE_BATCH):
        parts.append(np.asarray(encode(list(texts[start : start + ENCODE_BATCH])), dtype=np.float32))
        if progress is not None:
            progress(min(start + ENCODE_BATCH, len(texts)), len(texts))
    return np.vstack(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise IntentDataError(
            f"model name {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def train(
    rows: Sequence[tuple[str, str]],
    name: str,
    root: Path,
    encode: Encode,
    *,
    holdout: float = 0.2,
    options: TrainOptions | None = None,
    progress: Progress | None = None,
    source: str | None = None,
) -> IntentModel:
    """Train a new version of model `name` under `root` (see `intents_root`) and return it.

    With `holdout` > 0 a stratified share of each label is held out: a model trained without it is evaluated on it
    (the stored metrics), then the served model is trained on every row."""
    check_name(name)
    if not 0.0 <= holdout < 0.9:
        raise IntentDataError(f"holdout must be in [0, 0.9), not {holdout}")
    texts = [t for t, _ in rows]
    labels = [label for _, label in rows]
    counts = Counter(labels)
    if len(counts) < 2:
        raise IntentDataError(f"training needs at least two labels, found {len(counts)}")
    thin = sorted(label for label, n in counts.items() if n < MIN_PER_LABEL)
    if thin:
        raise IntentDataError(f"labels with fewer than {MIN_PER_LABEL} examples: {', '.join(thin[:10])}")
    options = options or TrainOptions()
    started = datetime.now(UTC)
    vectors = embed(texts, encode, progress)
    metrics: dict[str, float] = {}
    if holdout > 0:
        tr, held = stratified_split(labels, holdout, options.seed)
        probe = fit([texts[i] for i in tr], [labels[i] for i in tr], vectors[tr], name=name, options=options)
        result = evaluate(probe, [texts[i] for i in held], [labels[i] for i in held], vectors[held])
        metrics = {f"holdout_{k}": round(v, 4) for k, v in result.summary().items()}
        model = refit(probe, texts, labels, vectors)  # served model: every row, the probe's calibration
    else:
        model = fit(texts, labels, vectors, name=name, options=options)
    model.metrics = metrics
    model.info = {
        "training_data_hash": data_hash(texts, labels),
        "training_rows": len(texts),
        "label_counts": dict(sorted(counts.items())),
        "created_at": started.isoformat(),
        "source": source,
    }
    model.version = _save_new_version(model, root / name)
    return model


def _save_new_version(model: IntentModel, directory: Path) -> str:
    """Write to a temporary directory, then rename it to the next free version number (atomic, race-safe)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".tmp-{uuid.uuid4().hex}"
    try:
        for _ in range(100):
            version = str(_next_version(directory))
            model.version = version
            model.save(tmp)
            try:
                os.rename(tmp, directory / version)
                return version
            except OSError:
                continue  # another trainer took this number
        raise IntentDataError(f"could not allocate a version under {directory}")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _versions(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    return sorted(int(p.name) for p in directory.iterdir() if p.name.isdigit() and (p / META_FILE).is_file())


def _next_version(directory: Path) -> int:
    taken = [int(p.name) for p in directory.iterdir() if p.name.isdigit()] if directory.is_dir() else []
    return max(taken, default=0) + 1


@dataclass(frozen=True)
class VersionInfo:
    name: str
    version: str
    created_at: str | None
    labels: int
    metrics: dict[str, float]
    path: Path


def model_names(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _NAME.match(p.name) and _versions(p))


def list_versions(root: Path, name: str) -> list[VersionInfo]:
    """Every saved version of `name`, oldest first (versions with unreadable metadata are skipped)."""
    out: list[VersionInfo] = []
    for v in _versions(root / check_name(name)):
        path = root / name / str(v)
        try:
            meta: dict[str, Any] = _read_meta(path)
        except IntentDataError as exc:
            log.warning("skipping intent model version: %s", exc)
            continue
        out.append(
            VersionInfo(
                name=name,
                version=str(v),
                created_at=meta.get("created_at"),
                labels=len(meta.get("labels", [])),
                metrics=dict(meta.get("metrics", {})),
                path=path,
            )
        )
    return out


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntentDataError(f"{path / META_FILE}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise IntentDataError(f"{path / META_FILE}: not a JSON object")
    return meta


def load_version(root: Path, name: str, version: str) -> IntentModel:
    path = root / check_name(name) / version
    if not version.isdigit() or not path.is_dir():
        raise IntentDataError(f"intent model {name!r} has no version {version!r}")
    return load(path)


def load_latest(root: Path, name: str = "default") -> IntentModel | None:
    """The newest loadable version of `name` under `root` (see `intents_root`), or None when there is none."""
    for v in reversed(_versions(root / check_name(name))):
        try:
            return load(root / name / str(v))
        except (IntentDataError, KeyError, ValueError, OSError) as exc:
            log.warning("intent model %s version %s cannot be loaded, trying the previous one: %s", name, v, exc)
    return None
