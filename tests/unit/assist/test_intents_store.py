"""Versioned intent models on disk and the labelled-CSV reader."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from cxops.domains.assist import intents as store
from cxops.domains.assist.compute.intents import IntentDataError
from cxops.integrations.demo.utterances import labelled_utterances
from tests.knowledge_support import shared_embedder

ROWS = [
    ("where is my parcel", "order_status"),
    ("has my order shipped yet", "order_status"),
    ("when will my package arrive", "order_status"),
    ("track my delivery please", "order_status"),
    ("I want my money back", "refund"),
    ("please refund the charge", "refund"),
    ("can I get a refund for this", "refund"),
    ("return the item and refund me", "refund"),
    ("I forgot my password", "password_reset"),
    ("reset my login password", "password_reset"),
    ("I can't sign in to my account", "password_reset"),
    ("locked out, need a new password", "password_reset"),
]


def encode(texts: list[str]) -> np.ndarray:
    return shared_embedder().encode(texts)


def test_each_training_run_is_a_new_version_and_the_newest_is_served(tmp_path: Path) -> None:
    root = store.intents_root(tmp_path)
    assert store.load_latest(root) is None and store.list_versions(root, "default") == []
    seen: list[tuple[int, int]] = []
    first = store.train(ROWS, "default", root, encode, holdout=0.25, progress=lambda d, t: seen.append((d, t)))
    assert first.version == "1" and seen[-1] == (len(ROWS), len(ROWS))
    assert first.metrics["holdout_n"] == 3.0 and 0.0 <= first.metrics["holdout_accuracy"] <= 1.0
    assert first.info["training_rows"] == 12 and len(first.info["training_data_hash"]) == 64
    second = store.train(ROWS[:8] + ROWS[8:], "default", root, encode, holdout=0.0)
    assert second.version == "2" and second.metrics == {}
    versions = store.list_versions(root, "default")
    assert [v.version for v in versions] == ["1", "2"] and versions[0].labels == 3
    assert versions[0].path == root / "default" / "1" and versions[0].created_at
    latest = store.load_latest(root)
    assert latest is not None and latest.version == "2"
    assert store.load_version(root, "default", "1").version == "1"
    assert store.model_names(root) == ["default"]
    # a half-written or damaged newest version does not take serving down: the previous one is served
    (root / "default" / "2" / "model.npz").write_bytes(b"garbage")
    latest = store.load_latest(root)
    assert latest is not None and latest.version == "1"
    shutil.rmtree(root / "default" / "2")
    (root / "default" / "2").mkdir()  # an empty directory (e.g. a crashed copy) is not a version, nor reused
    assert [v.version for v in store.list_versions(root, "default")] == ["1"]
    assert store.train(ROWS, "default", root, encode, holdout=0.0).version == "3"


def test_the_demo_utterances_train_a_model_that_knows_the_demo_intents(tmp_path: Path) -> None:
    rows = labelled_utterances(per_intent=12)
    model = store.train(rows, "demo", tmp_path, encode, holdout=0.2)
    assert model.metrics["holdout_accuracy"] >= 0.9
    assert set(model.labels) == {label for _, label in rows}
    texts = ["How do I send back a jacket I bought last week?", "What's the weather going to be like in Lisbon?"]
    preds = model.predict(texts, encode(texts))
    assert not preds[0].out_of_scope and preds[0].top[0][0].startswith("return")
    assert preds[1].out_of_scope


def test_bad_requests_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(IntentDataError, match=r"model name '\.\./x' must be"):
        store.train(ROWS, "../x", tmp_path, encode)
    with pytest.raises(IntentDataError, match=r"holdout must be in \[0, 0.9\)"):
        store.train(ROWS, "default", tmp_path, encode, holdout=0.95)
    with pytest.raises(IntentDataError, match="at least two labels, found 1"):
        store.train(ROWS[:4], "default", tmp_path, encode)
    with pytest.raises(IntentDataError, match="fewer than 3 examples: refund"):
        store.train(ROWS[:6], "default", tmp_path, encode)
    with pytest.raises(IntentDataError, match="has no version '7'"):
        store.load_version(tmp_path, "default", "7")
    assert not (tmp_path / "default").exists() or not any((tmp_path / "default").iterdir())


def test_csv_bad_lines_are_reported_with_line_numbers_and_good_rows_kept() -> None:
    source = (
        "text,label\n"
        "where is my parcel,order_status\n"
        ",order_status\n"  # line 3: empty text
        "has my order shipped,\n"  # line 4: missing label
        "a,b,c\n"  # line 5: three columns
        "\n"  # blank: skipped silently
        "track my delivery,order_status\n"
        '"when will it arrive, roughly",order_status\n'
        "refund me,refund\n"  # line 9: refund has only two rows
        "I want my money back,refund\n"
        f"{'x' * 2001},order_status\n"  # line 11: too long
    )
    rows = store.parse_csv(source)
    assert rows.rows == [
        ("where is my parcel", "order_status"),
        ("track my delivery", "order_status"),
        ("when will it arrive, roughly", "order_status"),
    ]
    assert rows.lines == [2, 7, 8]
    assert [str(e) for e in rows.errors] == [
        "line 3: empty text",
        "line 4: missing label",
        "line 5: expected 2 columns (text,label), found 3",
        "line 9: label 'refund' has 2 example(s); at least 3 needed",
        "line 10: label 'refund' has 2 example(s); at least 3 needed",
        "line 11: text is 2001 characters (at most 2000)",
    ]


def test_csv_header_and_encoding_errors(tmp_path: Path) -> None:
    with pytest.raises(IntentDataError, match="the file is empty"):
        store.parse_csv("")
    with pytest.raises(IntentDataError, match="line 1: the header must be 'text,label', not 'utterance,intent'"):
        store.parse_csv("utterance,intent\nhi,greet\n")
    assert store.parse_csv("\ufeffText, Label\nhi there,greet\nhello,greet\nhey,greet\n").labels == ["greet"] * 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text,label\nhello,greet\ncaf\xe9,greet\n")
    with pytest.raises(IntentDataError, match="line 3 is not valid UTF-8"):
        store.read_csv(bad)
    with pytest.raises(IntentDataError, match="does not exist"):
        store.read_csv(tmp_path / "missing.csv")
