"""DistilledViTClassifier and ViTClassifier: three stages, sklearn contract, real EmoDB speech."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators.vit import DistilledViTClassifier, ViTClassifier
from sklearn_ser.features import LogMelImage
from sklearn_ser.models.vit import StudentViT, TeacherViT

SIZE = 16
TINY = dict(patch_width=4, embed_dim=8, depth=2, n_heads=2, mlp_ratio=2.0, stem_channels=(8,))


def _tiny(**params):
    settings = dict(TINY, teacher_epochs=1, matching_epochs=1, student_epochs=1, batch_size=8,
                    train_split=None, random_state=0)
    settings.update(params)
    return DistilledViTClassifier(**settings)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = np.array(["anger", "sadness", "neutral"] * 8)
    images = rng.uniform(0, 100, size=(len(y), 1, SIZE, SIZE)).astype(np.float32)
    for k, label in enumerate(np.unique(y)):  # a class-specific bright band of rows
        images[y == label, :, 5 * k:5 * k + 5, :] += 150
    return images, y


@pytest.fixture(scope="module")
def fitted(data):
    images, y = data
    return _tiny(teacher_epochs=2, matching_epochs=2, student_epochs=2).fit(images, y)


def test_three_stages_leave_a_teacher_and_a_student(fitted, data):
    images, y = data
    assert fitted.classes_.tolist() == ["anger", "neutral", "sadness"]
    assert isinstance(fitted.teacher_, TeacherViT) and isinstance(fitted.student_, StudentViT)
    assert fitted.student_.coords is None and fitted.student_.stem is None
    assert [len(fitted.histories_[s]) for s in ("teacher", "matching", "student")] == [2, 2, 2]
    assert set(fitted.fit_times_) == {"teacher", "matching", "student"}
    assert fitted.pairs_ == [("block0", "block0"), ("block1", "block1")]
    assert not any(p.requires_grad for p in fitted.teacher_.parameters())
    pred = fitted.predict(images)
    assert pred.shape == (len(y),) and set(pred) <= set(y)
    proba = fitted.predict_proba(images)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    teacher_pred = fitted.predict(images, network="teacher")
    assert set(teacher_pred) <= set(y)
    assert 0.0 <= fitted.score(images, y) <= 1.0
    with pytest.raises(ValueError, match="network must be"):
        fitted.predict(images, network="both")
    with pytest.raises(ValueError, match=r"fitted on images of shape \(1, 16, 16\)"):
        fitted.predict(np.zeros((2, 1, 16, 32), np.float32))


def test_stage_two_lowers_the_feature_map_distance(data):
    images, y = data
    params = dict(student_epochs=0, teacher_epochs=2, lr=3e-3, distill_pairs=["block1", "norm"])
    unmatched = _tiny(matching_epochs=0, **params).fit(images, y)
    matched = _tiny(matching_epochs=6, **params).fit(images, y)
    # same seed: the same teacher and the same initial student
    np.testing.assert_allclose(unmatched.predict_proba(images, network="teacher"),
                               matched.predict_proba(images, network="teacher"), rtol=1e-5)
    before, after = unmatched.feature_distances(images), matched.feature_distances(images)
    assert before.shape == after.shape == (2,)
    assert np.all(after < before)
    loss = [row["train_loss"] for row in matched.histories_["matching"]]
    assert loss[-1] < loss[0]


def test_random_state_makes_fits_repeatable(data):
    images, y = data
    a = _tiny(random_state=3).fit(images, y).predict_proba(images)
    b = _tiny(random_state=3).fit(images, y).predict_proba(images)
    np.testing.assert_array_equal(a, b)


def test_clone_pickle_and_grid_search(fitted, data):
    images, y = data
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "student_")
    restored = pickle.loads(pickle.dumps(fitted))
    # Equal on the CPU; on a GPU, kernels chosen per call may round differently.
    np.testing.assert_allclose(restored.predict_proba(images), fitted.predict_proba(images),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(restored.predict(images, network="teacher"),
                                  fitted.predict(images, network="teacher"))
    search = GridSearchCV(_tiny(), {"alpha": [0.0, 1.0]}, error_score="raise",
                          cv=StratifiedKFold(2, shuffle=True, random_state=0), scoring="ser_ua")
    search.fit(images, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["alpha"] in (0.0, 1.0)


@pytest.mark.parametrize("params, error, match", [
    ({"alpha": -1.0}, InvalidParameterError, "'alpha' parameter"),
    ({"teacher_epochs": 0}, InvalidParameterError, "'teacher_epochs' parameter"),
    ({"embed_dim": 10, "n_heads": 4}, ValueError, "divisible by n_heads=4"),
    ({"patch_width": 5}, ValueError, "not a multiple of patch_width=5"),
    ({"stem_channels": (12,)}, ValueError, "multiples of 8"),
    ({"distill_pairs": ["stem"]}, ValueError, "teacher-only"),
    ({"distill_pairs": [5]}, ValueError, "out of range"),
])
def test_bad_parameters_say_what_to_change(data, params, error, match):
    images, y = data
    with pytest.raises(error, match=match):
        _tiny(**params).fit(images, y)


def test_flat_input_points_to_log_mel_images(data):
    images, y = data
    with pytest.raises(ValueError, match="LogMelImage"):
        _tiny().fit(images.reshape(len(y), -1), y)
    with pytest.raises(ValueError, match="LogMelImage"):
        ViTClassifier(max_epochs=1).fit(images.reshape(len(y), -1), y)


def test_plain_vit_classifier_reads_the_image_height(data):
    images, y = data
    clf = ViTClassifier(module__embed_dim=8, module__depth=1, module__n_heads=2, max_epochs=1,
                        train_split=None, random_state=0).fit(images, y)
    assert clf.module_.patch_embed.height == SIZE
    assert set(clf.predict(images)) <= set(y)


def test_cross_val_score_on_real_emodb_speech(emodb_home, tmp_path):
    bunch = load_emodb(data_home=emodb_home)
    rng = np.random.default_rng(0)
    keep = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(bunch.target == label), 6, replace=False)
        for label in ("anger", "sadness", "neutral")]))
    files, y = np.asarray(bunch.filenames)[keep], np.asarray(bunch.target)[keep]
    pipe = make_pipeline(LogMelImage(size=(32, 32), memory=tmp_path), _tiny())
    scores = cross_val_score(pipe, files, y, cv=StratifiedKFold(2, shuffle=True, random_state=0),
                             scoring="ser_ua", error_score="raise")
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
