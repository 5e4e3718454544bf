"""Tests of sklearn_ser.model_selection: speaker folds, protocols, cross-corpus scoring."""

import warnings

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import Bunch

from sklearn_ser.metrics import EmotionReport, register_scorers
from sklearn_ser.model_selection import (
    LeaveOneSpeakerOut,
    SpeakerKFold,
    cross_corpus_score,
    make_cv,
    stratified_kfold,
)

EMOTIONS = np.array(["anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"])


def emodb_like(seed=0, n_speakers=10):
    """A synthetic corpus shaped like EmoDB: 10 speakers of unequal size and class mix."""
    rng = np.random.RandomState(seed)
    speaker, target = [], []
    for s in range(n_speakers):
        n = rng.randint(35, 72)
        p = rng.dirichlet(np.full(len(EMOTIONS), 3.0))
        speaker += [f"{s + 3:02d}"] * n
        target += list(rng.choice(EMOTIONS, n, p=p))
    target = np.array(target)
    X = (np.searchsorted(EMOTIONS, target)[:, None] + rng.normal(scale=0.8, size=(len(target), 2)))
    return Bunch(
        filenames=[f"wav/{s}_{i}.wav" for i, s in enumerate(speaker)],
        data=X,
        target=target,
        speaker=np.array(speaker),
        corpus="emodb-like",
    )


# --------------------------------------------------------------------------- SpeakerKFold
@pytest.mark.parametrize("stratify", [True, False])
@pytest.mark.parametrize("shuffle, random_state", [(False, None), (True, 0), (True, 7)])
def test_speaker_kfold_ten_speakers_gives_five_folds_of_two(stratify, shuffle, random_state):
    bunch = emodb_like()
    cv = SpeakerKFold(5, shuffle=shuffle, random_state=random_state, stratify=stratify)
    assert cv.get_n_splits() == 5
    seen_test = np.zeros(len(bunch.target), dtype=int)
    test_speakers = []
    for train, test in cv.split(bunch.filenames, bunch.target, groups=bunch.speaker):
        speakers = set(bunch.speaker[test])
        assert len(speakers) == 2
        assert speakers.isdisjoint(bunch.speaker[train])
        assert len(train) + len(test) == len(bunch.target)
        seen_test[test] += 1
        test_speakers.append(speakers)
    assert np.all(seen_test == 1)  # every utterance tested exactly once
    assert set.union(*test_speakers) == set(bunch.speaker)


def test_speaker_kfold_uneven_division_and_stratification():
    bunch = emodb_like(seed=1)
    counts = [
        len(set(bunch.speaker[test]))
        for _, test in SpeakerKFold(3).split(bunch.data, bunch.target, bunch.speaker)
    ]
    assert sorted(counts) == [3, 3, 4]
    # Stratified folds keep class proportions closer to the corpus than unstratified ones.
    overall = np.array([np.mean(bunch.target == e) for e in EMOTIONS])

    def mean_deviation(cv):
        devs = []
        for _, test in cv.split(bunch.data, bunch.target, bunch.speaker):
            share = np.array([np.mean(bunch.target[test] == e) for e in EMOTIONS])
            devs.append(np.abs(share - overall).sum())
        return np.mean(devs)

    assert mean_deviation(SpeakerKFold(5)) < mean_deviation(SpeakerKFold(5, stratify=False))


def test_speaker_kfold_is_deterministic():
    bunch = emodb_like()
    for cv in (SpeakerKFold(5), SpeakerKFold(5, shuffle=True, random_state=3)):
        a = [t.tolist() for _, t in cv.split(bunch.data, bunch.target, bunch.speaker)]
        b = [t.tolist() for _, t in cv.split(bunch.data, bunch.target, bunch.speaker)]
        assert a == b


def test_speaker_kfold_speakers_from_constructor_and_groups_take_precedence():
    bunch = emodb_like()
    cv = SpeakerKFold(5, speakers=bunch.speaker)
    folds = list(cv.split(bunch.data, bunch.target))
    assert all(len(set(bunch.speaker[test])) == 2 for _, test in folds)
    # explicit groups win over the constructor's speakers
    other = np.where(np.arange(len(bunch.target)) % 2, "x", "y")
    folds = list(SpeakerKFold(2, speakers=bunch.speaker).split(bunch.data, bunch.target, other))
    assert [set(other[test]) for _, test in folds] in ([{"x"}, {"y"}], [{"y"}, {"x"}])


def test_speaker_kfold_with_cross_val_score_and_grid_search():
    bunch = emodb_like()
    register_scorers()
    scores = cross_val_score(
        LogisticRegression(max_iter=1000), bunch.data, bunch.target, groups=bunch.speaker,
        cv=SpeakerKFold(5), scoring="ser_ua",
    )
    assert scores.shape == (5,) and np.all((0 <= scores) & (scores <= 1))
    search = GridSearchCV(
        LogisticRegression(max_iter=1000), {"C": [0.1, 1.0]},
        cv=SpeakerKFold(5, speakers=bunch.speaker),
    ).fit(bunch.data, bunch.target)
    assert search.n_splits_ == 5


def test_speaker_kfold_errors():
    bunch = emodb_like()
    X, y = bunch.data, bunch.target
    with pytest.raises(ValueError, match="groups=bunch.speaker"):
        list(SpeakerKFold(5).split(X, y))
    with pytest.raises(ValueError, match="speakers has 3 entries but X has"):
        list(SpeakerKFold(5, speakers=["a", "b", "c"]).split(X, y))
    with pytest.raises(ValueError, match="groups has 3 entries"):
        list(SpeakerKFold(5).split(X, y, groups=["a", "b", "c"]))
    with pytest.raises(ValueError, match=r"only 10 were found.*n_splits<=10"):
        list(SpeakerKFold(12).split(X, y, bunch.speaker))
    with pytest.raises(ValueError, match="at least 2 speakers"):
        list(SpeakerKFold(2).split(X, y, np.full(len(y), "a")))
    with pytest.raises(ValueError, match="n_splits must be an integer"):
        SpeakerKFold(1).get_n_splits()
    with pytest.raises(ValueError, match="needs y"):
        list(SpeakerKFold(5).split(X, groups=bunch.speaker))
    # y is not needed without stratification
    assert len(list(SpeakerKFold(5, stratify=False).split(X, groups=bunch.speaker))) == 5


def test_speaker_kfold_repr_is_short():
    bunch = emodb_like()
    text = repr(SpeakerKFold(5, speakers=bunch.speaker))
    assert text.startswith("SpeakerKFold(n_splits=5") and f"<{len(bunch.target)} speaker" in text


# --------------------------------------------------------------------------- LOSO
def test_leave_one_speaker_out_matches_leave_one_group_out():
    bunch = emodb_like()
    cv = LeaveOneSpeakerOut()
    assert cv.get_n_splits(groups=bunch.speaker) == 10
    ours = [(tr.tolist(), te.tolist()) for tr, te in cv.split(bunch.data, groups=bunch.speaker)]
    ref = [
        (tr.tolist(), te.tolist())
        for tr, te in LeaveOneGroupOut().split(bunch.data, groups=bunch.speaker)
    ]
    assert ours == ref
    cv = LeaveOneSpeakerOut(speakers=bunch.speaker)
    assert cv.get_n_splits() == 10
    assert all(len(set(bunch.speaker[te])) == 1 for _, te in cv.split(bunch.data))


def test_leave_one_speaker_out_errors():
    with pytest.raises(ValueError, match="speaker of each sample"):
        LeaveOneSpeakerOut().get_n_splits()
    with pytest.raises(ValueError, match="at least 2 speakers"):
        list(LeaveOneSpeakerOut().split(np.zeros((3, 1)), groups=["a"] * 3))
    with pytest.raises(ValueError, match="entries but X has"):
        LeaveOneSpeakerOut(speakers=["a", "b"]).get_n_splits(np.zeros((3, 1)))


# --------------------------------------------------------------------------- protocols
def test_stratified_kfold_is_the_papers_protocol():
    cv = stratified_kfold()
    assert isinstance(cv, StratifiedKFold)
    assert (cv.n_splits, cv.shuffle, cv.random_state) == (5, True, 0)
    bunch = emodb_like()
    for _, test in cv.split(bunch.data, bunch.target):
        assert abs(len(test) / len(bunch.target) - 0.2) < 0.01


def test_make_cv():
    bunch = emodb_like()
    assert isinstance(make_cv("stratified", n_splits=4, random_state=2), StratifiedKFold)
    cv = make_cv("speaker", speakers=bunch.speaker)
    assert isinstance(cv, SpeakerKFold) and cv.n_splits == 5 and cv.speakers is bunch.speaker
    assert all(len(set(bunch.speaker[te])) == 2 for _, te in cv.split(bunch.data, bunch.target))
    cv = make_cv("loso", speakers=bunch.speaker)
    assert isinstance(cv, LeaveOneSpeakerOut) and cv.get_n_splits() == 10
    with pytest.raises(ValueError, match="'stratified', 'speaker', 'loso'"):
        make_cv("speaker-independent")


# --------------------------------------------------------------------------- cross-corpus
def _planted():
    """1-NN on one number: test items 3 and 5 are placed in the wrong class's region."""
    centers = {"anger": 0.0, "happiness": 10.0, "sadness": 20.0}
    y_train = ["anger", "anger", "happiness", "happiness", "sadness", "sadness"]
    X_train = np.array([[centers[c] + d] for c, d in zip(y_train, [0, 1] * 3)])
    y_test = ["anger", "anger", "happiness", "happiness", "sadness", "sadness"]
    y_test += ["boredom", "calm", "boredom"]  # never seen in training
    x_test = [0.5, 0.2, 10.5, 20.5, 19.5, 0.3, 5.0, 5.0, 5.0]  # item 3 -> sadness, 5 -> anger
    return (X_train, np.array(y_train)), (np.array(x_test)[:, None], np.array(y_test))


def test_cross_corpus_score_drops_unseen_labels_with_warning():
    train, test = _planted()
    with pytest.warns(UserWarning, match=r"Dropped 3 of 9 .*'boredom': 2, 'calm': 1") as rec:
        result = cross_corpus_score(KNeighborsClassifier(n_neighbors=1), train, test)
    assert "harmonize='pretraining'" in str(rec[0].message)
    assert isinstance(result.report, EmotionReport)
    assert result.dropped == {"boredom": 2, "calm": 1}
    assert result.test_indices.tolist() == [0, 1, 2, 3, 4, 5]
    assert result.y_pred.tolist() == ["anger", "anger", "happiness", "sadness", "sadness", "anger"]
    assert result.weighted_accuracy == pytest.approx(4 / 6)
    assert result.unweighted_accuracy == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert result.score == result.unweighted_accuracy
    np.testing.assert_array_equal(result.report.confusion_matrix, [[2, 0, 0], [0, 1, 1], [1, 0, 1]])


def test_cross_corpus_score_raise_and_scoring():
    train, test = _planted()
    with pytest.raises(ValueError, match=r"3 of 9 test items.*harmonize='pretraining'"):
        cross_corpus_score(KNeighborsClassifier(n_neighbors=1), train, test, unseen_labels="raise")
    keep = np.isin(test[1], ["anger", "happiness", "sadness"])
    seen_test = (test[0][keep], test[1][keep])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing dropped -> no warning
        result = cross_corpus_score(
            KNeighborsClassifier(n_neighbors=1), train, seen_test, scoring="ser_wa",
            unseen_labels="raise",
        )
    assert result.dropped == {}
    assert result.score == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match="'drop' or 'raise'"):
        cross_corpus_score(KNeighborsClassifier(), train, test, unseen_labels="ignore")
    with pytest.raises(ValueError, match="nothing is left"):
        cross_corpus_score(
            KNeighborsClassifier(n_neighbors=1), train, (np.zeros((2, 1)), ["calm", "calm"])
        )


def _number_from_filename(filenames):
    """Stand-in feature extractor: 'corpus/anger_0.5.wav' -> [[0.5]]."""
    return np.array([[float(name.rsplit("_", 1)[1][:-4])] for name in filenames])


def test_cross_corpus_score_on_bunches_of_filenames_leaves_estimator_unfitted():
    def bunch(items, corpus):
        return Bunch(
            filenames=[f"{corpus}/{label}_{x}.wav" for label, x in items],
            target=np.array([label for label, _ in items]),
            speaker=np.array(["s1"] * len(items)),
            corpus=corpus,
        )

    train = bunch([("anger", -2.0), ("anger", -1.0), ("sadness", 1.0), ("sadness", 2.0)], "a")
    test = bunch([("anger", -1.5), ("anger", 0.5), ("sadness", 1.5), ("sadness", 3.0)], "b")
    estimator = make_pipeline(FunctionTransformer(_number_from_filename), LogisticRegression())
    result = cross_corpus_score(estimator, train, test)
    assert result.y_pred.tolist() == ["anger", "sadness", "sadness", "sadness"]
    assert result.weighted_accuracy == pytest.approx(0.75)
    assert result.unweighted_accuracy == pytest.approx(0.75)
    assert not hasattr(estimator, "n_features_in_")  # the original is not fitted
    assert hasattr(result.estimator, "classes_")


def test_cross_corpus_score_input_errors():
    with pytest.raises(TypeError, match="'filenames' and 'target'"):
        cross_corpus_score(DummyClassifier(), {"X": [1]}, ([[0]], ["a"]))
    with pytest.raises(ValueError, match=r"\(X, y\)"):
        cross_corpus_score(DummyClassifier(), ([[0]], ["a"], None), ([[0]], ["a"]))
    with pytest.raises(ValueError, match="1 items but y has 2"):
        cross_corpus_score(DummyClassifier(), ([[0]], ["a", "b"]), ([[0]], ["a"]))
