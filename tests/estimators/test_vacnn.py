"""VACNNClassifier and VACNNBOVWClassifier: sklearn contract, transfer, freezing."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import cross_val_score

from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier, load_encoder_state
from sklearn_ser.models import VACNN, VACNNBOVW


@pytest.fixture(scope="module")
def data(make_separable_images):
    return make_separable_images(per_class=6, offset=200, seed=0)


@pytest.fixture(scope="module")
def pretrained(data):
    images, _, y = data
    return VACNNClassifier(max_epochs=2, random_state=0, train_split=None).fit(images, y)


def test_defaults_follow_the_paper():
    clf = VACNNClassifier()
    params = clf.get_params()
    assert params["lr"] == 1e-3 and params["batch_size"] == 8
    assert params["optimizer__weight_decay"] == 1e-4
    assert params["lr_step_size"] == 10 and params["lr_gamma"] == 0.1
    assert params["device"] == "auto" and params["optimizer"] is torch.optim.Adam


def test_string_labels_round_trip(data):
    images, _, y = data
    clf = VACNNClassifier(max_epochs=1, random_state=0).fit(images, y)
    assert clf.classes_.tolist() == sorted(set(y))
    pred = clf.predict(images)
    assert set(pred) <= set(y)
    proba = clf.predict_proba(images)
    assert proba.shape == (len(y), 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert "valid_acc" in clf.history[-1]


def test_clone_keeps_auto_device_and_params():
    clf = VACNNClassifier(module__attention="cbam", max_epochs=3, random_state=1)
    copy = clone(clf)
    assert copy.get_params()["device"] == "auto"
    assert copy.get_params()["module__attention"] == "cbam"
    assert copy.device in ("cpu", "cuda")


def test_set_params_reaches_the_module(data):
    images, _, y = data
    clf = VACNNClassifier(max_epochs=1, train_split=None, random_state=0)
    clf.set_params(module__attention="cbam", module__residual=True)
    clf.fit(images, y)
    from sklearn_ser.models import CBAM

    assert isinstance(clf.module_.encoder.va1.attention, CBAM)
    assert clf.module_.encoder.va1.attention.residual


def test_lr_schedule_and_early_stopping_callbacks(data):
    images, _, y = data
    clf = VACNNClassifier(max_epochs=3, lr_step_size=1, lr_gamma=0.5, random_state=0)
    clf.fit(images, y)
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5 ** 3)
    names = dict(clf.callbacks_)
    assert names["early_stopping"].load_best and names["early_stopping"].monitor == "valid_acc"


def test_early_stopping_restores_best_epoch(data):
    images, _, y = data
    clf = VACNNClassifier(max_epochs=6, patience=2, random_state=0, lr=0.05)
    clf.fit(images, y)
    valid = clf.history[:, "valid_acc"]
    best = int(np.argmax(valid))  # first epoch with the best accuracy
    assert len(valid) <= 6
    assert clf.history[best, "valid_acc_best"]
    # the restored weights are the best epoch's: re-scoring the validation split gives its accuracy
    _, valid_ds = clf.get_split_datasets(images, clf.label_encoder_.transform(y))
    X_valid = images[valid_ds.indices]
    y_valid = y[valid_ds.indices]
    assert np.mean(clf.predict(X_valid) == y_valid) == pytest.approx(valid[best])


def test_same_seed_same_predictions(data):
    images, _, y = data
    # deterministic=True: on CUDA, bit-identical runs need deterministic kernels.
    a = VACNNClassifier(max_epochs=2, random_state=3, deterministic=True).fit(
        images, y).predict_proba(images)
    b = VACNNClassifier(max_epochs=2, random_state=3, deterministic=True).fit(
        images, y).predict_proba(images)
    np.testing.assert_array_equal(a, b)


def test_fit_leaves_global_rng_alone(data):
    images, _, y = data
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    VACNNClassifier(max_epochs=1, random_state=0).fit(images, y)
    assert torch.rand(1) == expected


def test_pickle_round_trip(data, pretrained):
    images, _, _ = data
    restored = pickle.loads(pickle.dumps(pretrained))
    np.testing.assert_array_equal(restored.predict_proba(images), pretrained.predict_proba(images))


def test_cross_val_score_with_string_labels(data):
    images, _, y = data
    scores = cross_val_score(VACNNClassifier(max_epochs=1, random_state=0), images, y, cv=2,
                             scoring="ser_ua")
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))


def _fusion_input(data):
    images, bovw, y = data
    return {"image": images, "bovw": bovw}, y


def test_bovw_classifier_infers_n_words_and_classes(data):
    X, y = _fusion_input(data)
    clf = VACNNBOVWClassifier(max_epochs=1, random_state=0).fit(X, y)
    assert clf.module_.bovw_embedding.squeeze.in_features == 16
    assert clf.predict(X).shape == (len(y),)
    assert clf.frozen_parameters_ == []  # from scratch: nothing frozen


def test_bovw_classifier_rejects_plain_arrays(data):
    images, _, y = data
    with pytest.raises(TypeError, match="BOVWEncoder\\(output='dict'\\)"):
        VACNNBOVWClassifier(max_epochs=1).fit(images, y)


def _encoder_snapshot(module):
    return {k: v.detach().clone() for k, v in module.encoder.state_dict().items()}


def test_freezing_keeps_stem_and_va1_bit_identical(data, pretrained):
    X, y = _fusion_input(data)
    start = load_encoder_state(pretrained)
    clf = VACNNBOVWClassifier(pretrained=pretrained, max_epochs=1, train_split=None,
                              random_state=0).fit(X, y)
    after = _encoder_snapshot(clf.module_)
    for name, value in after.items():
        if name.startswith(("stem.", "va1.")):
            assert torch.equal(value, start[name]), name
    changed = [n for n in after
               if n.startswith(("va2.", "va3.")) and not torch.equal(after[n], start[n])]
    assert changed, "later stages must be fine-tuned"
    assert all(n.split(".")[1] in ("stem", "va1") for n in clf.frozen_parameters_)
    assert clf.frozen_parameters_


@pytest.mark.parametrize("freeze,frozen_stages", [(None, set()), ("va2", {"stem", "va1", "va2"})])
def test_freeze_is_configurable(data, pretrained, freeze, frozen_stages):
    X, y = _fusion_input(data)
    clf = VACNNBOVWClassifier(pretrained=pretrained, freeze=freeze, max_epochs=1,
                              train_split=None).fit(X, y)
    assert {n.split(".")[1] for n in clf.frozen_parameters_} == frozen_stages


def test_pretrained_from_parameter_file(tmp_path, data, pretrained):
    X, y = _fusion_input(data)
    path = tmp_path / "vacnn.pt"
    pretrained.save_params(f_params=path)
    state = load_encoder_state(path)  # weights_only=True inside
    clf = VACNNBOVWClassifier(pretrained=str(path), max_epochs=1, train_split=None,
                              random_state=0)
    clf.fit(X, y)
    for name in state:
        if name.startswith("stem."):
            assert torch.equal(clf.module_.encoder.state_dict()[name].cpu(), state[name].cpu())


def test_pretrained_survives_clone_when_frozen_or_a_file(tmp_path, data, pretrained):
    X, y = _fusion_input(data)
    # dict inputs cannot be split by sklearn itself (it sees 2 keys): in cross-validation the
    # dict is built inside a Pipeline from file paths (tests/estimators/test_vacnn_real.py).
    template = VACNNBOVWClassifier(pretrained=FrozenEstimator(pretrained), max_epochs=1,
                                   train_split=None, random_state=0)
    fitted = clone(template).fit(X, y)
    assert fitted.frozen_parameters_
    # a bare fitted estimator is reset by clone(): the error explains what to do
    with pytest.raises(ValueError, match="FrozenEstimator"):
        clone(VACNNBOVWClassifier(pretrained=pretrained, max_epochs=1)).fit(X, y)


def test_pretrained_architecture_mismatch_is_explained(data, pretrained):
    X, y = _fusion_input(data)
    with pytest.raises(ValueError, match="same attention type"):
        VACNNBOVWClassifier(pretrained=pretrained, module__widths=(16, 48, 144),
                            max_epochs=1).fit(X, y)


def test_load_encoder_state_sources(pretrained, tmp_path):
    state = load_encoder_state(pretrained)
    assert set(state) == set(VACNN(4).encoder.state_dict())
    assert set(load_encoder_state(pretrained.module_)) == set(state)
    assert set(load_encoder_state(pretrained.module_.state_dict())) == set(state)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_encoder_state(tmp_path / "missing.pt")
    with pytest.raises(TypeError, match="pretrained must be"):
        load_encoder_state(3.0)


def test_cbam_ablation_transfers_from_cbam_pretraining(data):
    images, bovw, y = data
    cbam = VACNNClassifier(module__attention="cbam", max_epochs=1, train_split=None).fit(images, y)
    clf = VACNNBOVWClassifier(pretrained=cbam, module__attention="cbam", max_epochs=1,
                              train_split=None).fit({"image": images, "bovw": bovw}, y)
    assert isinstance(clf.module_, VACNNBOVW)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_and_cpu_reload(data, tmp_path):
    images, _, y = data
    clf = VACNNClassifier(max_epochs=1, device="auto", random_state=0).fit(images, y)
    assert next(clf.module_.parameters()).is_cuda
    path = tmp_path / "gpu.pt"
    clf.save_params(f_params=path)
    cpu = VACNNClassifier(max_epochs=1, device="cpu", random_state=0).fit(images, y)
    cpu.load_params(f_params=path)
    np.testing.assert_allclose(cpu.predict_proba(images), clf.predict_proba(images), atol=1e-4)
