"""Every batch reaches a network through ``to_device``, on the device of its weights.

A forward pre-hook on each network checks every tensor input (positional and keyword, nested):
it must sit on the device of the network's parameters, and it must have come out of
:func:`sklearn_ser.utils.device.to_device` (its storage is one that the helper returned). On a
CPU-only machine the first check cannot fail, the second catches a code path that builds its
input without the helper (which is what left inputs on the CPU on a GPU machine). On a CUDA
machine (``device="auto"``) both checks run for real.
"""

import contextlib

import numpy as np
import pytest
import torch

import sklearn_ser.estimators._base as base_module
import sklearn_ser.estimators.vit as vit_module
import sklearn_ser.explain._base as explain_module
from sklearn_ser.estimators import (
    CRNNClassifier,
    DistilledViTClassifier,
    LateFusionClassifier,
    VACNNBOVWClassifier,
    VACNNClassifier,
    ViTClassifier,
)
from sklearn_ser.explain import grad_cam, lime_explanation, occlusion_sensitivity
from sklearn_ser.features.segments import pack_segments
from sklearn_ser.features.spectrogram import pack_spectrograms
from sklearn_ser.utils.device import module_device, to_device

WIDTHS = (8, 8, 8)


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


class DeviceSpy:
    """Records the storages ``to_device`` returns; checks the inputs of watched networks."""

    def __init__(self, monkeypatch):
        self.moved = set()
        self.calls = 0
        self.checked = 0
        self.handles = []
        for module in (base_module, vit_module, explain_module):
            monkeypatch.setattr(module, "to_device", self._to_device)

    def _to_device(self, batch, device, **kwargs):
        out = to_device(batch, device, **kwargs)
        self.calls += 1
        self.moved.update(t.untyped_storage().data_ptr() for t in _tensors(out))
        return out

    def watch(self, module):
        def hook(mod, args, kwargs):
            device = module_device(mod)
            for tensor in _tensors((args, kwargs)):
                assert tensor.device == device, (
                    f"{type(mod).__name__} got an input on {tensor.device}, weights on {device}")
                assert tensor.untyped_storage().data_ptr() in self.moved, (
                    f"{type(mod).__name__} got an input that did not go through to_device")
                self.checked += 1

        self.handles.append(module.register_forward_pre_hook(hook, with_kwargs=True))
        return module

    def close(self):
        for handle in self.handles:
            handle.remove()


@pytest.fixture
def spy(monkeypatch):
    watcher = DeviceSpy(monkeypatch)
    yield watcher
    watcher.close()


def _images(n=12, size=32, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["anger", "sadness"] * (n // 2))
    X = rng.uniform(0, 255, size=(n, 1, size, size)).astype(np.float32)
    X[y == "anger", :, :8] += 100
    return X, y


class _WatchFromStart:
    """Watch ``module_`` from the moment skorch builds it (so training batches are checked)."""

    @contextlib.contextmanager
    def __call__(self, spy, cls):
        original = cls.initialize_module

        def initialize_module(net):
            original(net)
            spy.watch(net.module_)
            return net

        cls.initialize_module = initialize_module
        try:
            yield
        finally:
            cls.initialize_module = original


watch_from_start = _WatchFromStart()


@pytest.mark.parametrize("data_on_device", ["auto", True])
def test_vacnn_fit_and_predict(spy, data_on_device):
    X, y = _images()
    with watch_from_start(spy, VACNNClassifier):
        clf = VACNNClassifier(module__widths=WIDTHS, max_epochs=1, batch_size=4,
                              data_on_device=data_on_device, random_state=0).fit(X, y)
    clf.predict_proba(X)
    assert spy.checked > 0 and spy.calls > 0


def test_vacnn_bovw_dict_inputs(spy):
    X, y = _images()
    bovw = np.random.default_rng(0).dirichlet(np.ones(8), len(y)).astype(np.float32)
    with watch_from_start(spy, VACNNBOVWClassifier):
        clf = VACNNBOVWClassifier(module__widths=WIDTHS, max_epochs=1, batch_size=4,
                                  random_state=0).fit({"image": X, "bovw": bovw}, y)
    clf.predict({"image": X, "bovw": bovw})
    assert spy.checked >= 2 * 4  # image and bovw of every batch


def test_vit(spy):
    X, y = _images(size=16)
    with watch_from_start(spy, ViTClassifier):
        ViTClassifier(module__embed_dim=8, module__depth=1, module__n_heads=2, max_epochs=1,
                      batch_size=4, random_state=0).fit(X, y).predict(X)
    assert spy.checked > 0


def test_distilled_vit_prediction(spy):
    X, y = _images(size=16)
    clf = DistilledViTClassifier(embed_dim=8, depth=1, n_heads=2, stem_channels=(8,),
                                 teacher_epochs=1, matching_epochs=1, student_epochs=1,
                                 train_split=None, random_state=0).fit(X, y)
    spy.watch(clf.student_)
    spy.watch(clf.teacher_)
    clf.predict(X)
    clf.predict(X, network="teacher")
    assert spy.checked >= 2


def test_crnn_padded_batches_with_lengths(spy):
    rng = np.random.default_rng(0)
    X = pack_spectrograms([rng.normal(size=(16, int(n))).astype("float32")
                           for n in rng.integers(20, 50, size=12)])
    y = np.array(["anger", "sadness"] * 6)
    with watch_from_start(spy, CRNNClassifier):
        clf = CRNNClassifier(max_epochs=1, batch_size=4, random_state=0,
                             module__channels=(4, 8), module__kernel_sizes=(5, 3),
                             module__strides=(1, 1), module__pool_sizes=(2, 2),
                             module__hidden_size=8, module__embedding_dim=6).fit(X, y)
    clf.predict(X)
    clf.embed(X)
    assert spy.checked >= 2 * 3  # X and lengths of every batch


def test_late_fusion_segment_path(spy):
    rng = np.random.default_rng(0)
    y = np.array(["anger", "sadness"] * 6)
    X = pack_segments([rng.normal(size=(1 + i % 3, 1, 32, 32)).astype(np.float32)
                       for i in range(len(y))])
    with watch_from_start(spy, LateFusionClassifier):
        clf = LateFusionClassifier(max_epochs=1, batch_size=8, module__fusion_channels=4,
                                   module__fusion_size=(2, 2), random_state=0).fit(X, y)
    clf.predict_proba(X)
    assert spy.checked > 0


@pytest.fixture(scope="module")
def fitted_bovw():
    X, y = _images()
    bovw = np.random.default_rng(1).dirichlet(np.ones(8), len(y)).astype(np.float32)
    clf = VACNNBOVWClassifier(module__widths=WIDTHS, max_epochs=1, train_split=None,
                              random_state=0).fit({"image": X, "bovw": bovw}, y)
    return clf, {"image": X[:2], "bovw": bovw[:2]}


@pytest.mark.parametrize("explain", [
    lambda clf, X: grad_cam(clf, X, target="anger"),
    lambda clf, X: lime_explanation(clf, X, n_samples=8, tiles=(2, 2), random_state=0),
    lambda clf, X: occlusion_sensitivity(clf, X, size=16, stride=16),
], ids=["grad_cam", "lime", "occlusion"])
def test_explainers_move_images_and_other_entries(spy, fitted_bovw, explain):
    clf, X = fitted_bovw
    spy.watch(clf.module_)
    explain(clf, X)
    assert spy.checked >= 2
