"""GaussianDataSelector: the GDS formula, selection semantics, pipelines, EmoDB default."""

import pickle

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ser.features.gds import DEFAULT_THRESHOLD, GaussianDataSelector, gds_scores
from sklearn_ser.features.segments import SegmentedLogMel, check_segments, pack_segments


def reference_scores(segments, n_grid=256, grid_sigmas=4.0):
    """Algorithm 1 written out step by step, independently of the implementation."""
    D = len(segments)
    flat = [np.asarray(s, dtype=np.float64).ravel() for s in segments]
    mu = [f.mean() for f in flat]
    sd = [f.std() for f in flat]
    low = min(m - grid_sigmas * s for m, s in zip(mu, sd))
    high = max(m + grid_sigmas * s for m, s in zip(mu, sd))
    x = np.linspace(low, high, n_grid)
    step = x[1] - x[0]
    G = [norm.pdf(x, loc=m, scale=max(s, step)) for m, s in zip(mu, sd)]
    R = np.empty((D, D))
    for a in range(D):
        for b in range(D):
            ga, gb = G[a] - G[a].mean(), G[b] - G[b].mean()
            R[a, b] = (ga @ gb) / np.sqrt((ga @ ga) * (gb @ gb))
    C = R.sum(axis=1)
    return (C - C.min()) / (C.max() - C.min())


def utterance(rng, n, loc=0.0, scale=1.0, shape=(1, 96, 64)):
    return rng.normal(loc, scale, size=(n,) + shape).astype(np.float32)


def test_heterogeneous_segment_gets_the_lowest_score_and_is_dropped():
    rng = np.random.default_rng(0)
    segs = utterance(rng, 6, loc=-2.0, scale=1.5)
    segs[3] = rng.normal(-6.0, 0.2, size=(1, 96, 64))  # near-silence: low, narrow
    scores = gds_scores(segs)
    assert int(np.argmin(scores)) == 3 and scores[3] == 0.0
    assert scores.max() == 1.0
    assert np.all(np.delete(scores, 3) > 0.9)
    kept = GaussianDataSelector().fit_transform([segs])[0]
    assert kept.shape[0] == 5
    np.testing.assert_array_equal(kept, np.delete(segs, 3, axis=0))  # order preserved


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scores_match_the_formula_computed_directly(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    segs = np.stack([rng.normal(rng.uniform(-3, 3), rng.uniform(0.2, 2.0), size=(1, 96, 64))
                     for _ in range(n)])
    np.testing.assert_allclose(gds_scores(segs), reference_scores(segs), atol=1e-10)
    np.testing.assert_allclose(gds_scores(segs, n_grid=64, grid_sigmas=2.0),
                               reference_scores(segs, n_grid=64, grid_sigmas=2.0), atol=1e-10)


def test_degenerate_utterances_keep_everything():
    rng = np.random.default_rng(0)
    one = utterance(rng, 1)
    two = utterance(rng, 2)
    two[1] += 10.0  # even a very different second segment: 2 x 2 row sums are equal
    same = np.repeat(utterance(rng, 1), 4, axis=0)
    constant = np.full((3, 1, 96, 64), -4.6, dtype=np.float32)
    for segs in (one, two, same, constant):
        np.testing.assert_array_equal(gds_scores(segs), np.ones(len(segs)))
    sel = GaussianDataSelector(threshold=0.99)
    out = sel.fit_transform([one, two, same, constant])
    assert [len(u) for u in out] == [1, 2, 4, 3]
    assert sel.n_segments_dropped_ == 0


def test_constant_padding_segment_is_scored_not_nan():
    rng = np.random.default_rng(0)
    segs = utterance(rng, 4, loc=-1.0)
    segs[0] = np.log(0.01)  # an all-padding segment: zero variance
    scores = gds_scores(segs)
    assert np.isfinite(scores).all() and int(np.argmin(scores)) == 0


def test_threshold_semantics_and_counts():
    rng = np.random.default_rng(0)
    X = [np.stack([rng.normal(rng.uniform(-1, 1), rng.uniform(0.5, 1.5), size=(1, 96, 64))
                   for _ in range(k)]).astype(np.float32) for k in (1, 2, 3, 5, 8)]
    scores = GaussianDataSelector().score_segments(X)
    dropped = []
    for t in (0.0, 0.3, 0.6, 0.9):
        sel = GaussianDataSelector(threshold=t)
        out = sel.fit_transform(X)
        expected = [int(np.sum(s > t)) for s in scores]
        assert [len(u) for u in out] == expected
        assert sel.n_segments_in_ == 19 and sel.n_segments_kept_ == sum(expected)
        assert sel.n_segments_dropped_ == 19 - sum(expected)
        assert sel.dropped_fraction_ == pytest.approx(sel.n_segments_dropped_ / 19)
        assert sel.kept_per_utterance_.tolist() == expected
        assert sel.segments_per_utterance_.tolist() == [1, 2, 3, 5, 8]
        assert all(len(u) >= 1 for u in out)  # the best segment always survives
        dropped.append(sel.n_segments_dropped_)
    assert dropped[0] == 3  # T = 0 drops exactly the worst of each utterance with >= 3
    assert dropped == sorted(dropped)


def test_fit_transform_selects_transform_passes_through():
    rng = np.random.default_rng(0)
    u = utterance(rng, 5)
    u[2] += 5.0
    X = pack_segments([u, u[:2]])
    X_before = [a.copy() for a in X]
    sel = GaussianDataSelector()
    assert [len(a) for a in sel.fit_transform(X)] == [4, 2]
    assert [len(a) for a in sel.transform(X)] == [5, 2]
    assert [len(a) for a in sel.fit(X).transform(X)] == [5, 2]
    assert sel.n_segments_dropped_ == 1  # fit alone records the counts too
    both = GaussianDataSelector(select_at_predict=True).fit(X)
    assert [len(a) for a in both.transform(X)] == [4, 2]
    for a, b in zip(X, X_before):  # input not mutated
        np.testing.assert_array_equal(a, b)


def test_unfitted_transform_and_bad_parameters():
    from sklearn.exceptions import NotFittedError

    X = [np.zeros((2, 1, 8, 8), dtype=np.float32)]
    with pytest.raises(NotFittedError):
        GaussianDataSelector().transform(X)
    with pytest.raises(InvalidParameterError, match="threshold"):
        GaussianDataSelector(threshold=1.0).fit(X)
    with pytest.raises(InvalidParameterError, match="n_grid"):
        GaussianDataSelector(n_grid=2).fit(X)
    with pytest.raises(TypeError, match="SegmentedLogMel"):
        GaussianDataSelector().fit(["a.wav"])


class SegmentCounter(ClassifierMixin, BaseEstimator):
    """Records how many segments it is trained and evaluated on; predicts the majority."""

    def fit(self, X, y):
        utterances = check_segments(X)
        self.fit_segments_ = sum(len(u) for u in utterances)
        self.fit_utterances_ = len(utterances)
        values, counts = np.unique(y, return_counts=True)
        self.classes_ = values
        self.majority_ = values[np.argmax(counts)]
        return self

    def predict(self, X):
        utterances = check_segments(X)
        self.predict_segments_ = sum(len(u) for u in utterances)
        return np.full(len(utterances), self.majority_)


def _toy_corpus(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = []
    for i in range(n):
        u = utterance(rng, 3 + i % 3, shape=(1, 16, 8))
        u[0] += 4.0
        X.append(u)
    return pack_segments(X), np.array(["anger", "sadness"] * (n // 2))


def test_pipeline_trains_on_selected_and_predicts_on_all_segments():
    X, y = _toy_corpus()
    pipe = make_pipeline(GaussianDataSelector(), SegmentCounter()).fit(X, y)
    total = sum(len(u) for u in X)
    assert pipe[-1].fit_utterances_ == len(X)
    assert pipe[-1].fit_segments_ == total - pipe[0].n_segments_dropped_ < total
    pipe.predict(X)
    assert pipe[-1].predict_segments_ == total


def test_clone_pickle_and_grid_search():
    X, y = _toy_corpus()
    sel = GaussianDataSelector(threshold=0.7, n_grid=128)
    assert clone(sel).get_params() == sel.get_params()
    fitted = sel.fit(X)
    again = pickle.loads(pickle.dumps(fitted))
    assert again.n_segments_dropped_ == fitted.n_segments_dropped_
    pipe = make_pipeline(GaussianDataSelector(), SegmentCounter())
    grid = GridSearchCV(pipe, {"gaussiandataselector__threshold": [0.0, 0.5]}, cv=KFold(3))
    grid.fit(X, y)
    assert grid.best_params_["gaussiandataselector__threshold"] in (0.0, 0.5)
    scores = cross_val_score(pipe, X, y, cv=KFold(3))
    assert scores.shape == (3,)


def test_default_threshold_drops_about_15_percent_of_emodb(emodb_home):
    from sklearn_ser.datasets import load_emodb

    bunch = load_emodb(data_home=emodb_home)
    X = SegmentedLogMel(n_jobs=1).fit_transform(bunch.filenames)
    sel = GaussianDataSelector().fit(X)
    assert sel.threshold == DEFAULT_THRESHOLD
    assert sel.n_segments_in_ == 887
    assert 0.13 <= sel.dropped_fraction_ <= 0.17
