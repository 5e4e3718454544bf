"""VACNN + BOVW (Seo & Kim 2020) end to end on real EmoDB speech: the pipeline inside
GridSearchCV, on CPU."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.features import BOVWEncoder, LogMelImage

SIZE = 64


@pytest.fixture(scope="module")
def emodb32(emodb_home):
    """32 real EmoDB utterances, 8 of each of four emotions, from several speakers."""
    bunch = load_emodb(data_home=emodb_home)
    rng = np.random.default_rng(0)
    keep = []
    for label in ("anger", "sadness", "neutral", "happiness"):
        idx = np.flatnonzero(bunch.target == label)
        keep.extend(rng.choice(idx, 8, replace=False))
    keep = np.sort(keep)
    return np.asarray(bunch.filenames)[keep], np.asarray(bunch.target)[keep]


@pytest.mark.requires_kaze
def test_grid_search_over_learning_rates_on_real_speech(emodb32, tmp_path):
    files, y = emodb32
    pretrained = make_pipeline(
        LogMelImage(size=(SIZE, SIZE), memory=tmp_path),
        VACNNClassifier(max_epochs=1, random_state=0, train_split=None),
    ).fit(files, y)[-1]
    pipe = make_pipeline(
        LogMelImage(size=(SIZE, SIZE), memory=tmp_path),
        BOVWEncoder(n_words=16, output="dict", memory=tmp_path, random_state=0),
        # FrozenEstimator: GridSearchCV clones its candidates, and clone() would reset a
        # plain fitted estimator passed as a parameter (the error says so).
        VACNNBOVWClassifier(pretrained=FrozenEstimator(pretrained), max_epochs=2, random_state=0),
    )
    search = GridSearchCV(
        pipe, {"vacnnbovwclassifier__lr": [1e-3, 1e-4]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0), scoring="ser_ua", error_score="raise",
    )
    search.fit(files, y)

    assert search.cv_results_["mean_test_score"].shape == (2,)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["vacnnbovwclassifier__lr"] in (1e-3, 1e-4)
    best = search.best_estimator_
    clf = best[-1]
    # the refit network fine-tuned from the pretrained VACNN, stem and VA block 1 frozen
    assert clf.frozen_parameters_ and all(
        name.split(".")[1] in ("stem", "va1") for name in clf.frozen_parameters_)
    assert len(clf.history) == 2
    pred = search.predict(files[:5])
    assert pred.shape == (5,)
    assert set(pred) <= set(y)
    proba = search.predict_proba(files[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
