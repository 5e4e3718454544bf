"""Tests of sklearn_ser.metrics: WA, UA, scorers and the per-emotion report."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    recall_score,
)
from sklearn.metrics import get_scorer as sklearn_get_scorer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from sklearn_ser import metrics
from sklearn_ser._labels import CANONICAL_EMOTIONS
from sklearn_ser.metrics import (
    EmotionReport,
    emotion_report,
    get_scorer,
    register_scorers,
    ua_scorer,
    unweighted_accuracy,
    wa_scorer,
    weighted_accuracy,
)

Y_TRUE = ["anger"] * 6 + ["sadness"] * 3 + ["neutral"]
Y_PRED = ["anger"] * 5 + ["sadness"] + ["sadness", "sadness", "anger"] + ["sadness"]


# --------------------------------------------------------------------------- WA / UA
def test_wa_ua_known_values():
    # anger 5/6, sadness 2/3, neutral 0/1
    assert weighted_accuracy(Y_TRUE, Y_PRED) == pytest.approx(7 / 10)
    assert unweighted_accuracy(Y_TRUE, Y_PRED) == pytest.approx((5 / 6 + 2 / 3 + 0) / 3)


def test_wa_sample_weight():
    assert weighted_accuracy([0, 1], [0, 0], sample_weight=[3, 1]) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="non-negative"):
        weighted_accuracy([0, 1], [0, 0], sample_weight=[-1, 1])


def test_ua_ignores_predicted_only_classes_without_warning():
    y_true = ["anger", "anger", "sadness"]
    y_pred = ["anger", "fear", "sadness"]  # fear never true
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ua = unweighted_accuracy(y_true, y_pred)
    assert ua == pytest.approx((0.5 + 1.0) / 2)


def test_ua_with_labels_matches_sklearn_macro_recall():
    labels = ["anger", "neutral", "fear"]  # fear has no support -> recall 0
    expected = recall_score(Y_TRUE, Y_PRED, labels=labels, average="macro", zero_division=0)
    assert unweighted_accuracy(Y_TRUE, Y_PRED, labels=labels) == pytest.approx(expected)
    assert unweighted_accuracy(Y_TRUE, Y_PRED, labels=labels) == pytest.approx((5 / 6) / 3)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5)), min_size=1, max_size=40),
)
def test_wa_ua_agree_with_sklearn(pairs):
    y_true, y_pred = map(np.array, zip(*pairs))
    assert weighted_accuracy(y_true, y_pred) == pytest.approx(accuracy_score(y_true, y_pred))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on predicted-only classes
        expected = balanced_accuracy_score(y_true, y_pred)
    assert unweighted_accuracy(y_true, y_pred) == pytest.approx(expected)


@pytest.mark.parametrize("func", [weighted_accuracy, unweighted_accuracy])
def test_input_errors(func):
    with pytest.raises(ValueError, match="empty"):
        func([], [])
    with pytest.raises(ValueError):
        func(["anger", "sadness"], ["anger"])
    with pytest.raises(ValueError, match="[Mm]ix"):
        func(["anger", "sadness"], [0, 1])


def test_labels_errors():
    with pytest.raises(ValueError, match="empty"):
        unweighted_accuracy([0, 1], [0, 1], labels=[])
    with pytest.raises(ValueError, match="repeat"):
        unweighted_accuracy([0, 1], [0, 1], labels=[0, 0])


# --------------------------------------------------------------------------- scorers
def _numeric_problem():
    rng = np.random.RandomState(0)
    y = np.repeat(["anger", "happiness", "sadness"], [20, 12, 8])
    centers = {"anger": 0.0, "happiness": 1.0, "sadness": 2.0}
    X = np.array([[centers[c] + rng.normal(scale=0.6), rng.normal()] for c in y])
    return X, y


def test_scorer_objects():
    X, y = _numeric_problem()
    clf = DummyClassifier(strategy="most_frequent").fit(X, y)
    assert wa_scorer(clf, X, y) == pytest.approx(20 / 40)
    assert ua_scorer(clf, X, y) == pytest.approx(1 / 3)


def test_register_scorers_is_idempotent_and_enables_strings():
    assert register_scorers() == ["ser_wa", "ser_ua"]
    assert register_scorers() == ["ser_wa", "ser_ua"]
    from sklearn.metrics import get_scorer_names

    names = get_scorer_names()
    assert names.count("ser_wa") == 1 and names.count("ser_ua") == 1
    X, y = _numeric_problem()
    clf = DummyClassifier(strategy="most_frequent").fit(X, y)
    assert sklearn_get_scorer("ser_ua")(clf, X, y) == pytest.approx(1 / 3)


def test_cross_val_score_with_ser_ua_string_equals_hand_computation():
    register_scorers()
    X, y = _numeric_problem()
    cv = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    est = LogisticRegression()
    scores = cross_val_score(est, X, y, scoring="ser_ua", cv=cv)
    by_hand = []
    for train, test in cv.split(X, y):
        pred = LogisticRegression().fit(X[train], y[train]).predict(X[test])
        recalls = [np.mean(pred[y[test] == c] == c) for c in np.unique(y[test])]
        by_hand.append(np.mean(recalls))
    np.testing.assert_allclose(scores, by_hand)
    wa = cross_val_score(est, X, y, scoring="ser_wa", cv=cv)
    np.testing.assert_allclose(wa, cross_val_score(est, X, y, scoring="accuracy", cv=cv))


def test_grid_search_accepts_ser_strings():
    register_scorers()
    X, y = _numeric_problem()
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, scoring=["ser_wa", "ser_ua"], refit="ser_ua", cv=3
    ).fit(X, y)
    assert "mean_test_ser_ua" in search.cv_results_


def test_register_scorers_warns_without_registry(monkeypatch):
    from sklearn.metrics import _scorer

    monkeypatch.delattr(_scorer, "_SCORERS")
    with pytest.warns(UserWarning, match="scorer objects still work"):
        assert register_scorers() == []


def test_get_scorer_resolution():
    X, y = _numeric_problem()
    clf = DummyClassifier(strategy="most_frequent").fit(X, y)
    assert get_scorer("ser_ua")(clf, X, y) == pytest.approx(1 / 3)
    assert get_scorer("ser_ua") is not ua_scorer  # a copy, as sklearn does
    assert get_scorer("accuracy")(clf, X, y) == pytest.approx(0.5)
    assert get_scorer(ua_scorer) is ua_scorer
    assert get_scorer(None) is None
    with pytest.raises(ValueError, match="ser_ua"):
        get_scorer("no_such_score")


# --------------------------------------------------------------------------- report
def test_emotion_report_numbers_match_sklearn():
    report = emotion_report(Y_TRUE, Y_PRED)
    assert isinstance(report, EmotionReport)
    # canonical order, not alphabetical-by-chance: anger < neutral < sadness
    assert report.labels.tolist() == ["anger", "neutral", "sadness"]
    p, r, f, s = precision_recall_fscore_support(
        Y_TRUE, Y_PRED, labels=report.labels, zero_division=0
    )
    np.testing.assert_allclose(report.precision, p)
    np.testing.assert_allclose(report.recall, r)
    np.testing.assert_allclose(report.f1, f)
    np.testing.assert_array_equal(report.support, s)
    np.testing.assert_array_equal(
        report.confusion_matrix, confusion_matrix(Y_TRUE, Y_PRED, labels=report.labels)
    )
    assert report.weighted_accuracy == pytest.approx(0.7)
    assert report.unweighted_accuracy == pytest.approx((5 / 6 + 2 / 3) / 3)
    assert report.n_samples == 10


def test_emotion_report_canonical_order_and_fallback():
    y = ["surprise", "anger", "neutral", "boredom"]
    assert emotion_report(y, y).labels.tolist() == [
        e for e in CANONICAL_EMOTIONS if e in set(y)
    ]
    # a non-canonical name falls back to plain sorting
    y = ["neu", "ang", "sad"]
    assert emotion_report(y, y).labels.tolist() == ["ang", "neu", "sad"]
    assert emotion_report([2, 0, 1], [0, 0, 1]).labels.tolist() == [0, 1, 2]


def test_emotion_report_zero_division_without_warnings():
    y_true = ["anger", "anger", "sadness"]
    y_pred = ["fear", "fear", "sadness"]  # anger never predicted, fear never true
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = emotion_report(y_true, y_pred)
    assert report.labels.tolist() == ["anger", "fear", "sadness"]
    np.testing.assert_array_equal(report.precision, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(report.recall, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(report.f1, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(report.support, [2, 0, 1])
    # UA averages over the true classes only: fear (predicted only) does not count
    assert report.unweighted_accuracy == pytest.approx(0.5)


def test_emotion_report_explicit_labels():
    report = emotion_report(Y_TRUE, Y_PRED, labels=["sadness", "anger"])
    assert report.labels.tolist() == ["sadness", "anger"]
    p, r, f, s = precision_recall_fscore_support(
        Y_TRUE, Y_PRED, labels=["sadness", "anger"], zero_division=0
    )
    np.testing.assert_allclose(report.precision, p)
    np.testing.assert_allclose(report.recall, r)
    np.testing.assert_array_equal(report.support, s)
    np.testing.assert_array_equal(report.confusion_matrix, [[2, 1], [1, 5]])
    assert report.unweighted_accuracy == pytest.approx((2 / 3 + 5 / 6) / 2)
    assert report.weighted_accuracy == pytest.approx(0.7)  # over all utterances


def test_emotion_report_is_frozen():
    report = emotion_report(Y_TRUE, Y_PRED)
    with pytest.raises(AttributeError):
        report.weighted_accuracy = 1.0
    with pytest.raises(ValueError):
        report.recall[0] = 1.0


def test_emotion_report_str_layout():
    text = str(emotion_report(Y_TRUE, Y_PRED))
    lines = text.splitlines()
    assert lines[0].split() == ["Emotion", "Precision", "Recall", "F1-score", "Support"]
    assert lines[1].split() == ["anger", "0.83", "0.83", "0.83", "6"]
    assert lines[2].split() == ["neutral", "0.00", "0.00", "0.00", "1"]
    assert lines[3].split() == ["sadness", "0.50", "0.67", "0.57", "3"]
    assert lines[4].split()[0] == "Average" and lines[4].split()[-1] == "10"
    assert "Overall accuracy (WA): 70.00 %" in text
    assert "Mean class recall (UA): 50.00 %" in text
    assert "0.8333" in emotion_report(Y_TRUE, Y_PRED).to_string(digits=4)
    assert repr(emotion_report(Y_TRUE, Y_PRED)).startswith("EmotionReport(n_classes=3")


@pytest.mark.parametrize("y", [Y_TRUE, [0, 1, 1, 2]])
def test_emotion_report_to_dict_is_plain_json(y):
    report = emotion_report(y, y[::-1])
    d = report.to_dict()
    assert json.loads(json.dumps(d)) == d

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return type(value) in (int, float, str)

    assert plain(d)
    assert d["confusion_matrix"] == report.confusion_matrix.tolist()
    assert d["unweighted_accuracy"] == report.unweighted_accuracy


def test_module_all_is_importable():
    for name in metrics.__all__:
        assert hasattr(metrics, name)
