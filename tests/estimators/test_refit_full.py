"""``refit_full``: choose the epoch count on the validation split, then train on everything."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklearn_ser.estimators import ResumableCheckpoint, VACNNBOVWClassifier, VACNNClassifier


@pytest.fixture(scope="module")
def data(make_separable_images):
    return make_separable_images(per_class=8, offset=120, seed=1)


def _params(**extra):
    return dict(max_epochs=6, patience=2, lr=3e-3, lr_step_size=2, lr_gamma=0.5,
                random_state=0, **extra)


def test_second_run_trains_on_all_items_for_the_best_epoch_count(data):
    images, _, y = data
    clf = VACNNClassifier(refit_full=True, **_params()).fit(images, y)

    selection = clf.selection_history_
    valid = selection[:, "valid_acc"]
    # the first epoch reaching the best validation accuracy, counted from 1
    assert clf.best_epoch_ == int(np.argmax(valid)) + 1
    assert len(clf.history) == clf.best_epoch_
    assert "valid_acc" not in clf.history[-1]
    # every training item in every epoch of the second run, and fewer in the first
    def n_trained(epoch):
        return sum(batch.get("train_batch_size", 0) for batch in epoch["batches"])

    assert [n_trained(epoch) for epoch in clf.history] == [len(y)] * clf.best_epoch_
    assert 0 < n_trained(selection[0]) < len(y)
    # the learning-rate schedule ran again over the second run's epochs
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(
        3e-3 * 0.5 ** (clf.best_epoch_ // 2))


def test_second_run_equals_a_plain_run_of_that_length(data):
    """Same initial weights, same shuffling: refit_full is 'train_split=None, best_epoch_
    epochs'."""
    images, _, y = data
    # deterministic=True: on CUDA, bit-identical runs need deterministic kernels.
    refit = VACNNClassifier(refit_full=True, deterministic=True, **_params()).fit(images, y)
    plain = VACNNClassifier(**_params(train_split=None)
                            | {"max_epochs": refit.best_epoch_, "deterministic": True})
    plain.fit(images, y)
    np.testing.assert_array_equal(refit.predict_proba(images), plain.predict_proba(images))


def test_default_is_off_and_leaves_no_refit_attributes(data):
    images, _, y = data
    clf = VACNNClassifier(**_params()).fit(images, y)
    assert clf.get_params()["refit_full"] is False
    assert "valid_acc" in clf.history[-1]
    assert not hasattr(clf, "best_epoch_") and not hasattr(clf, "selection_history_")
    # and a refit estimator fitted again without it forgets the old attributes
    clf.set_params(refit_full=True).fit(images, y)
    assert hasattr(clf, "best_epoch_")
    clf.set_params(refit_full=False).fit(images, y)
    assert not hasattr(clf, "best_epoch_")


@pytest.mark.parametrize("params, message", [
    ({"train_split": None}, "train_split=None"),
    ({"callbacks__early_stopping": None}, "early_stopping"),
])
def test_refit_needs_a_validation_split_and_early_stopping(data, params, message):
    images, _, y = data
    with pytest.raises(ValueError, match=message):
        VACNNClassifier(refit_full=True, **_params(**params)).fit(images, y)


def test_refit_refuses_resumable_checkpoints(data, tmp_path):
    images, _, y = data
    clf = VACNNClassifier(refit_full=True, callbacks=[("resume", ResumableCheckpoint(tmp_path))],
                          **_params())
    with pytest.raises(ValueError, match="ResumableCheckpoint"):
        clf.fit(images, y)


def test_fine_tuning_refit_copies_the_pretrained_weights_again(data):
    images, bovw, y = data
    source = VACNNClassifier(max_epochs=2, train_split=None, random_state=0).fit(images, y)
    X = {"image": images, "bovw": bovw}
    clf = VACNNBOVWClassifier(pretrained=source, refit_full=True, **_params()).fit(X, y)
    assert len(clf.history) == clf.best_epoch_
    pretrained = source.module_.encoder.state_dict()
    tuned = clf.module_.encoder.state_dict()
    frozen = [k for k in tuned if k.startswith(("stem.", "va1."))]
    assert frozen
    for key in frozen:
        torch.testing.assert_close(tuned[key], pretrained[key], rtol=0, atol=0)
    assert any(not torch.equal(tuned[k], pretrained[k]) for k in tuned if k.startswith("va3"))


def test_refit_full_is_a_grid_search_parameter(data):
    images, _, y = data
    search = GridSearchCV(VACNNClassifier(max_epochs=2, patience=1, random_state=0),
                          {"refit_full": [False, True]}, cv=2)
    search.fit(images, y)
    assert set(search.cv_results_["param_refit_full"]) == {False, True}
    assert clone(search.best_estimator_).get_params()["refit_full"] in (False, True)


def test_crnn_refit_uses_its_own_monitor():
    """CRNNClassifier stops on validation UA: the refit takes that epoch count."""
    from sklearn_ser.estimators import CRNNClassifier

    rng = np.random.default_rng(0)
    y = np.array(["anger", "neutral", "sadness"] * 8)
    X = [rng.normal(0.0, 1.0, size=(16, int(rng.integers(20, 50)))) + 2.5 * k
         for k in np.unique(y, return_inverse=True)[1]]
    clf = CRNNClassifier(max_epochs=4, patience=2, refit_full=True, random_state=0).fit(X, y)
    valid_ua = clf.selection_history_[:, "valid_ua"]
    assert clf.best_epoch_ == int(np.argmax(valid_ua)) + 1
    assert len(clf.history) == clf.best_epoch_
    assert set(clf.predict(X)) <= set(y)
