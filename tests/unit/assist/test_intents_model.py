"""The intent model on real utterances (a few BANKING77 and CLINC150 intents) and the real MiniLM embeddings."""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from cxops.domains.assist.compute import intents as ci
from tests.conftest import SHARED_DATA
from tests.knowledge_support import shared_embedder

LABELS = (
    "card_arrival",
    "lost_or_stolen_card",
    "exchange_rate",
    "top_up_failed",
    "pin_blocked",
    "cash_withdrawal_charge",
)
OFF_TOPIC = [
    "What is the capital of Australia?",
    "Play some relaxing jazz music in the living room",
    "How many calories are in a banana?",
    "Tell me a joke about penguins",
]


@lru_cache(maxsize=1)
def banking() -> tuple[list[str], list[str], list[str], list[str]]:
    """(train texts, train labels, test texts, test labels) of LABELS: 40 training rows per label, all test rows."""

    def rows(split: str, cap: int | None) -> tuple[list[str], list[str]]:
        seen: dict[str, int] = {}
        texts, labels = [], []
        with (SHARED_DATA / "banking77" / f"{split}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                label = row["category"]
                if label in LABELS and (cap is None or seen.get(label, 0) < cap):
                    seen[label] = seen.get(label, 0) + 1
                    texts.append(row["text"])
                    labels.append(label)
        return texts, labels

    return (*rows("train", 40), *rows("test", None))


def encode(texts: list[str]) -> np.ndarray:
    return shared_embedder().encode(texts)


@lru_cache(maxsize=1)
def trained() -> ci.IntentModel:
    tr_t, tr_l, _, _ = banking()
    return ci.fit(tr_t, tr_l, encode(tr_t), name="banking-test")


def test_predicts_the_right_labels_on_held_out_test_rows() -> None:
    model = trained()
    _, _, te_t, te_l = banking()
    result = ci.evaluate(model, te_t, te_l, encode(te_t))
    assert result.n == len(te_l) == 240
    assert result.in_scope_accuracy is not None and result.in_scope_accuracy >= 0.85
    assert set(result.per_label) == set(LABELS)
    assert all(v["f1"] > 0.6 for v in result.per_label.values())
    preds = model.predict(
        ["My new card still hasn't arrived", "What is your exchange rate for euros?"],
        encode(["My new card still hasn't arrived", "What is your exchange rate for euros?"]),
    )
    assert [p.top[0][0] for p in preds] == ["card_arrival", "exchange_rate"]
    for p in preds:
        assert not p.out_of_scope
        assert len(p.top) == 3
        assert [s for _, s in p.top] == sorted((s for _, s in p.top), reverse=True)
        assert 0.0 < p.top[0][1] <= 1.0 and p.confidence == pytest.approx(p.top[0][1] * p.similarity, abs=2e-4)


def test_off_topic_text_is_flagged_out_of_scope() -> None:
    model = trained()
    preds = model.predict(OFF_TOPIC, encode(OFF_TOPIC))
    assert all(p.out_of_scope for p in preds), preds
    assert all(p.confidence < model.threshold for p in preds)


def test_save_and_load_round_trip_gives_identical_predictions(tmp_path: Path) -> None:
    model = trained()
    _, _, te_t, _ = banking()
    texts = te_t[:20] + OFF_TOPIC
    vectors = encode(texts)
    model.metrics = {"holdout_accuracy": 0.9}
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["meta.json", "model.npz", "vocabulary.json"]
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["labels"] == sorted(LABELS) and meta["metrics"] == {"holdout_accuracy": 0.9}
    loaded = ci.load(tmp_path / "m")
    assert loaded.labels == model.labels and loaded.threshold == model.threshold
    assert loaded.predict(texts, vectors) == model.predict(texts, vectors)
    # the batch path (BLAS, sparse) and the per-utterance path agree
    batch = loaded.probabilities(texts, vectors)
    single = np.vstack([loaded.probabilities([t], vectors[i : i + 1]) for i, t in enumerate(texts)])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_ngram_features_match_scikit_learn() -> None:
    texts = ["My card hasn't arrived yet!", "card card arrival", "exchange rate for EUR", "zzz"]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32)
    expected = vec.fit_transform(texts).toarray()
    got = ci.NGrams.fitted(vec).transform(texts).toarray()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert ci.NGrams.fitted(vec).transform(["€€€"]).nnz == 0  # nothing known: an empty row, no division by zero


def test_explicit_oos_class_is_never_a_top_label_and_wins_when_likeliest() -> None:
    data = json.loads((SHARED_DATA / "clinc150" / "data_full.json").read_text())
    keep = {"weather", "timer", "translate"}
    train = [(t, label) for t, label in data["train"] if label in keep][:150] + [
        (t, "oos") for t, _ in data["oos_train"]
    ]
    texts, labels = [t for t, _ in train], [label for _, label in train]
    model = ci.fit(texts, labels, encode(texts))
    assert model.oos_label == "oos" and "oos" not in model.in_scope_labels
    oos_test = [t for t, _ in data["oos_test"][:60]]
    preds = model.predict(oos_test, encode(oos_test))
    assert all(label != "oos" for p in preds for label, _ in p.top)
    assert sum(p.out_of_scope for p in preds) >= 40
    in_test = [(t, label) for t, label in data["test"] if label in keep]
    result = ci.evaluate(
        model, [t for t, _ in in_test], [label for _, label in in_test], encode([t for t, _ in in_test])
    )
    assert result.in_scope_accuracy is not None and result.in_scope_accuracy >= 0.85


def test_bad_inputs_are_rejected_with_the_reason(tmp_path: Path) -> None:
    model = trained()
    with pytest.raises(ValueError, match=r"embeddings must have shape \(2, 384\), not \(1, 384\)"):
        model.predict(["a", "b"], np.zeros((1, 384), dtype=np.float32))
    assert model.predict([], np.zeros((0, 384), dtype=np.float32)) == []
    with pytest.raises(ci.IntentDataError, match="at least two labels"):
        ci.fit(["a", "b", "c"], ["x", "x", "x"], np.zeros((3, 384), dtype=np.float32))
    with pytest.raises(ci.IntentDataError, match=r"model\.npz is missing"):
        ci.load(tmp_path)
    model.save(tmp_path / "m")
    (tmp_path / "m" / "meta.json").write_text('{"format": 99}')
    with pytest.raises(ci.IntentDataError, match="unsupported format 99"):
        ci.load(tmp_path / "m")
    (tmp_path / "m" / "meta.json").write_text("{not json")
    with pytest.raises(ci.IntentDataError, match="not a readable intent model"):
        ci.load(tmp_path / "m")


def test_threshold_without_oos_examples_follows_the_quantile_within_the_cap() -> None:
    options = ci.TrainOptions(target_in_scope_rejection=0.1, max_threshold=0.4)
    score = np.linspace(0.1, 0.9, 11)
    assert ci.choose_threshold(score, np.ones(11, bool), np.zeros(11, bool), options) == pytest.approx(0.18)
    assert ci.choose_threshold(np.ones(5), np.ones(5, bool), np.zeros(5, bool), options) == 0.4


def test_threshold_with_oos_examples_maximises_the_expected_accuracy_at_the_oos_share() -> None:
    options = ci.TrainOptions(oos_share=0.2)
    score = np.array([0.9, 0.8, 0.3, 0.95])
    is_oos = np.array([False, False, True, True])
    assert ci.choose_threshold(score, np.ones(4, bool), is_oos, options) == 0.8
    # ties go to the lowest threshold (answers are kept): rejecting a wrong answer is not rewarded either
    correct, is_oos = np.array([True, False, False]), np.array([False, False, True])
    assert ci.choose_threshold(np.array([0.9, 0.5, 0.2]), correct, is_oos, options) == 0.5
    # at a 20% share, a third of the in-scope answers outweighs half of the out-of-scope catches; at 50% it does not
    score = np.array([0.5, 0.6, 0.7, 0.55, 0.65, 0.1, 0.2])
    is_oos = np.array([False, False, False, True, True, True, True])
    assert ci.choose_threshold(score, ~is_oos, is_oos, options) == 0.5
    assert ci.choose_threshold(score, ~is_oos, is_oos, ci.TrainOptions(oos_share=0.6)) == 0.7


def test_similarity_is_to_the_predicted_labels_own_examples() -> None:
    model = trained()
    texts = ["my card has not arrived", "I was charged a fee for taking out cash"]
    probs, best, gates = model.decide(texts, encode(texts))
    own = [model.labels[b] for b in best]
    assert own == ["card_arrival", "cash_withdrawal_charge"]
    assert np.all(gates[:, 0] > 0.6)
    np.testing.assert_allclose(gates[:, 1], probs[np.arange(2), best] * gates[:, 0], rtol=1e-6)
    # scored against another label's examples the same texts look far less alike
    other = np.array([model.labels.index("exchange_rate")] * 2)
    assert np.all(model.similarity(encode(texts), other) < gates[:, 0] - 0.2)
