"""`cxops intents` end to end with the packaged encoder: train from a CSV with bad lines, list, eval; the demo
hook trains once and then serves the saved model."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxops.core.config import get_settings
from cxops.domains.assist import intents as store
from cxops.entrypoints.cli.main import app
from cxops.entrypoints.intents_wiring import ensure_demo_intent_model
from cxops.integrations.demo.utterances import labelled_utterances
from tests.conftest import REPO, SHARED_DATA

runner = CliRunner()
LABELS = ("card_arrival", "exchange_rate", "pin_blocked", "top_up_failed")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CXOPS_MODELS_DIR", str(REPO / ".cxops-data" / "test-models"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def banking_csv(path: Path, split: str, per_label: int, extra: str = "") -> Path:
    seen: dict[str, int] = {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "label"])
    with (SHARED_DATA / "banking77" / f"{split}.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["category"] in LABELS and seen.get(row["category"], 0) < per_label:
                seen[row["category"]] = seen.get(row["category"], 0) + 1
                writer.writerow([row["text"], row["category"]])
    path.write_text(out.getvalue() + extra, encoding="utf-8")
    return path


def cli(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, ["intents", *map(str, args)])
    return result.exit_code, result.output


def test_train_reports_bad_lines_keeps_good_rows_and_adds_versions(tmp_path: Path) -> None:
    source = banking_csv(
        tmp_path / "train.csv", "train", 30, extra=",card_arrival\nmy pin is blocked,\nlonely,rare_label\n"
    )
    code, out = cli("train", source, "--holdout", "0.2")
    assert code == 0, out
    assert "skipped train.csv line 122: empty text" in out
    assert "skipped train.csv line 123: missing label" in out
    assert "skipped train.csv line 124: label 'rare_label' has 1 example(s); at least 3 needed" in out
    assert "trained intent model 'default' version 1: 120 rows, 4 labels (3 bad lines skipped)" in out
    assert "held-out accuracy" in out and "on 24 rows" in out
    code, out = cli("train", source, "--holdout", "0")
    assert code == 0 and "version 2" in out and "not evaluated" in out
    code, out = cli("list")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[1].split()[:2] == ["default", "1"] and not lines[1].endswith("*")
    assert lines[2].split()[:2] == ["default", "2"] and lines[2].endswith("*")
    root = store.intents_root(tmp_path / "data")
    assert [v.version for v in store.list_versions(root, "default")] == ["1", "2"]


def test_eval_scores_the_served_model_and_counts_unknown_labels_as_out_of_scope(tmp_path: Path) -> None:
    assert cli("train", banking_csv(tmp_path / "train.csv", "train", 30), "--name", "bank")[0] == 0
    test = banking_csv(tmp_path / "test.csv", "test", 20, extra="what is the capital of peru,not_banking\n")
    code, out = cli("eval", test, "--name", "bank", "--json")
    assert code == 0, out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["name"] == "bank" and result["version"] == "1" and result["n"] == 81.0
    assert result["in_scope_accuracy"] >= 0.85
    assert result["oos_recall"] == 1.0
    assert set(result["per_label"]) == set(LABELS)
    code, out = cli("eval", test, "--name", "bank")
    assert code == 0 and "in-scope accuracy" in out and "weakest labels (F1)" in out


def test_errors_are_specific(tmp_path: Path) -> None:
    code, out = cli("train", tmp_path / "missing.csv")
    assert code == 2 and "missing.csv does not exist" in out
    (tmp_path / "wrong.csv").write_text("utterance,intent\nhi,greet\n")
    code, out = cli("train", tmp_path / "wrong.csv")
    assert code == 2 and "line 1: the header must be 'text,label'" in out
    (tmp_path / "bad.csv").write_text("text,label\n,x\ny,\n")
    code, out = cli("train", tmp_path / "bad.csv")
    assert code == 2 and "has no usable rows (2 bad lines)" in out
    code, out = cli("train", tmp_path / "bad.csv", "--name", "no/slashes")
    assert code == 2 and "model name 'no/slashes' must be" in out
    code, out = cli("eval", tmp_path / "bad.csv", "--name", "nothing")
    assert code == 2 and "no intent model named 'nothing'" in out
    code, out = cli("list")
    assert code == 0 and "no intent models under" in out


def test_the_demo_hook_trains_once_on_the_demo_intents() -> None:
    model = ensure_demo_intent_model()
    assert model is not None and model.version == "1"
    assert set(model.labels) == {label for _, label in labelled_utterances()}
    again = ensure_demo_intent_model()
    assert again is not None and again.version == "1"  # loaded, not retrained
    code, out = cli("list")
    assert code == 0 and "default" in out and "39" in out
