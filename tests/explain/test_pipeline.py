"""Explaining a fitted Pipeline from waveforms, and wrapped estimators (search, frozen)."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_ser.estimators import VACNNClassifier
from sklearn_ser.explain import grad_cam, lime_explanation, occlusion_sensitivity
from sklearn_ser.features import LogMelImage

SR = 16000


@pytest.fixture(scope="module")
def tones():
    t = np.arange(SR // 2) / SR
    rng = np.random.default_rng(0)
    X = np.stack([0.3 * np.sin(2 * np.pi * f * t) + 0.01 * rng.normal(size=t.size)
                  for f in (200, 300, 250, 350, 4000, 5000, 4500, 5500)]).astype(np.float32)
    y = np.array(["sadness"] * 4 + ["anger"] * 4)
    return X, y


@pytest.fixture(scope="module")
def pipe(tones):
    X, y = tones
    return make_pipeline(
        LogMelImage(size=(32, 32)),
        VACNNClassifier(module__widths=(8, 8, 8), max_epochs=3, train_split=None,
                        random_state=0),
    ).fit(X, y)


def test_waveforms_through_the_pipeline(pipe, tones):
    X, _ = tones
    images = pipe[0].transform(X[:2])
    np.testing.assert_array_equal(grad_cam(pipe, X[:2]), grad_cam(pipe[-1], images))
    np.testing.assert_allclose(occlusion_sensitivity(pipe, X[:2], size=8),
                               occlusion_sensitivity(pipe[-1], images, size=8), atol=1e-6)
    a = lime_explanation(pipe, X[:2], tiles=4, n_samples=20, random_state=0)
    b = lime_explanation(pipe[-1], images, tiles=4, n_samples=20, random_state=0)
    np.testing.assert_allclose(a.heatmaps, b.heatmaps, atol=1e-6)


def test_search_and_frozen_estimators_are_unwrapped(pipe, tones):
    X, y = tones
    search = GridSearchCV(pipe, {"vacnnclassifier__lr": [1e-3]}, cv=2).fit(X, y)
    images = search.best_estimator_[0].transform(X[:2])
    np.testing.assert_array_equal(grad_cam(search, X[:2]),
                                  grad_cam(search.best_estimator_[-1], images))
    np.testing.assert_array_equal(grad_cam(FrozenEstimator(pipe), X[:2]), grad_cam(pipe, X[:2]))
