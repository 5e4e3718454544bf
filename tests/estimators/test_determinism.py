"""deterministic=True: bit-identical runs for one random_state, global torch flags restored."""

import os

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklearn_ser.estimators import CRNNClassifier, LateFusionClassifier, VACNNClassifier
from sklearn_ser.estimators._performance import deterministic_algorithms
from sklearn_ser.features.segments import pack_segments
from sklearn_ser.features.spectrogram import pack_spectrograms

WIDTHS = (8, 8, 8)


def _flags():
    return (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
            torch.are_deterministic_algorithms_enabled(),
            torch.is_deterministic_algorithms_warn_only_enabled(),
            os.environ.get("CUBLAS_WORKSPACE_CONFIG"))


class RecordFlags(Callback):
    def initialize(self):
        self.seen = []
        return self

    def on_batch_begin(self, net, **kwargs):
        self.seen.append(_flags())


def _images(n=16, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["anger", "sadness"] * (n // 2))
    X = rng.uniform(0, 255, size=(n, 1, 32, 32)).astype(np.float32)
    X[y == "anger", :, :8] += 80
    return X, y


def _state(clf):
    return {k: v.detach().cpu() for k, v in clf.module_.state_dict().items()}


@pytest.mark.parametrize("data_on_device", ["auto", True])
def test_two_fits_with_one_seed_are_bit_identical(data_on_device):
    X, y = _images()
    params = dict(module__widths=WIDTHS, module__dropout=0.3, max_epochs=3, batch_size=4,
                  deterministic=True, data_on_device=data_on_device, random_state=7)
    a = VACNNClassifier(**params).fit(X, y)
    b = VACNNClassifier(**params).fit(X, y)
    for key, value in _state(a).items():
        assert torch.equal(value, _state(b)[key]), key
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]


def test_crnn_and_late_fusion_are_bit_identical():
    rng = np.random.default_rng(0)
    X = pack_spectrograms([rng.normal(size=(16, int(n))).astype("float32")
                           for n in rng.integers(20, 50, size=12)])
    y = np.array(["anger", "sadness"] * 6)
    crnn = dict(max_epochs=2, batch_size=4, deterministic=True, random_state=0,
                module__channels=(4, 8), module__kernel_sizes=(5, 3), module__strides=(1, 1),
                module__pool_sizes=(2, 2), module__hidden_size=8, module__embedding_dim=6)
    a, b = CRNNClassifier(**crnn).fit(X, y), CRNNClassifier(**crnn).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert torch.equal(a.criterion_.centers.cpu(), b.criterion_.centers.cpu())

    S = pack_segments([rng.normal(size=(1 + i % 3, 1, 32, 32)).astype(np.float32)
                       for i in range(12)])
    fusion = dict(max_epochs=2, batch_size=8, deterministic=True, random_state=0,
                  module__fusion_channels=4, module__fusion_size=(2, 2))
    a, b = LateFusionClassifier(**fusion).fit(S, y), LateFusionClassifier(**fusion).fit(S, y)
    np.testing.assert_array_equal(a.predict_proba(S), b.predict_proba(S))


def test_flags_are_set_during_fit_and_restored_after():
    X, y = _images(n=8)
    before = _flags()
    recorder = RecordFlags()
    clf = VACNNClassifier(module__widths=WIDTHS, max_epochs=1, batch_size=4, train_split=None,
                          deterministic=True, random_state=0,
                          callbacks=[("flags", recorder)]).fit(X, y)
    expected_env = before[4] or ":4096:8"
    assert recorder.seen and set(recorder.seen) == {(True, False, True, False, expected_env)}
    assert _flags() == before
    clf.predict(X)
    clf.partial_fit(X, y)
    assert _flags() == before


def test_default_leaves_the_flags_alone():
    X, y = _images(n=8)
    recorder = RecordFlags()
    before = _flags()
    VACNNClassifier(module__widths=WIDTHS, max_epochs=1, batch_size=4, train_split=None,
                    random_state=0, callbacks=[("flags", recorder)]).fit(X, y)
    assert set(recorder.seen) == {before}


def test_flags_restored_after_an_error_and_the_user_environment_kept(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    torch.backends.cudnn.benchmark = True
    try:
        before = _flags()
        with pytest.raises(ValueError, match="boom"):
            with deterministic_algorithms():
                assert _flags()[:3] == (True, False, True)
                assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
                raise ValueError("boom")
        assert _flags() == before
    finally:
        torch.backends.cudnn.benchmark = False


class _PutNet(torch.nn.Module):
    """put_ without accumulation has no deterministic implementation (on the CPU too)."""

    def __init__(self, n_classes=2):
        super().__init__()
        self.fc = torch.nn.Linear(4, n_classes)

    def forward(self, x):
        x = x.clone()
        x.put_(torch.tensor([0]), torch.tensor([1.0]))
        return self.fc(x)


def test_operation_without_deterministic_implementation_says_what_to_do():
    from sklearn_ser.estimators import SERNetClassifier

    X = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    y = np.array([0, 1] * 4)
    before = _flags()
    with pytest.raises(RuntimeError, match="deterministic=True allows only deterministic"):
        SERNetClassifier(_PutNet, max_epochs=1, train_split=None, deterministic=True,
                         device="cpu").fit(X, y)
    assert _flags() == before
    SERNetClassifier(_PutNet, max_epochs=1, train_split=None, device="cpu").fit(X, y)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_deterministic_must_be_a_bool(bad):
    X, y = _images(n=8)
    with pytest.raises(ValueError, match="deterministic must be True or False"):
        VACNNClassifier(module__widths=WIDTHS, max_epochs=1, deterministic=bad).fit(X, y)
