"""Speed options of every network estimator: compile, data_on_device, amp, channels_last.

``torch.compile`` with its default backend (inductor) takes minutes on a small CPU; the quick
tests compile with ``compile__backend="aot_eager"`` (TorchDynamo graph capture and AOTAutograd,
no code generation), which exercises everything the estimator does around compilation
(in-place compilation, state dicts, saving, pickling, cloning). The inductor run is ``slow``.
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from torch.utils.data import DataLoader

from sklearn_ser.estimators import (
    CRNNClassifier,
    LateFusionClassifier,
    VACNNBOVWClassifier,
    VACNNClassifier,
    ViTClassifier,
)
from sklearn_ser.estimators._device_data import DeviceBatches
from sklearn_ser.features.segments import pack_segments
from sklearn_ser.features.spectrogram import pack_spectrograms

WIDTHS = (8, 8, 8)
QUICK_COMPILE = {"compile__backend": "aot_eager"}


def _compile_works():
    if not hasattr(torch, "compile"):
        return "torch.compile is not available in this torch"
    try:
        torch.compile(lambda x: x + 1, backend="aot_eager")(torch.ones(1))
    except Exception as exc:  # noqa: BLE001 - any failure means: not on this platform
        return f"torch.compile does not run here: {type(exc).__name__}: {exc}"
    return None


needs_compile = pytest.mark.skipif(_compile_works() is not None,
                                   reason=str(_compile_works()))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = np.array(["anger", "sadness"] * 6)
    X = rng.uniform(0, 255, size=(12, 1, 32, 32)).astype(np.float32)
    X[y == "anger", :, :8] += 100
    return X, y


def _vacnn(**params):
    return VACNNClassifier(**{"module__widths": WIDTHS, "max_epochs": 2, "batch_size": 4,
                              "random_state": 0, **params})


# -- compile -------------------------------------------------------------------------------------
@needs_compile
def test_compiled_trains_and_predicts_like_eager_and_saves_plain_state_dicts(data, tmp_path):
    X, y = data
    eager = _vacnn().fit(X, y)
    compiled = _vacnn(compile=True, **QUICK_COMPILE).fit(X, y)
    assert compiled.module_._compiled_call_impl is not None  # it did run compiled
    assert type(compiled.module_) is type(eager.module_)
    np.testing.assert_allclose(compiled.predict_proba(X), eager.predict_proba(X), rtol=1e-4,
                               atol=1e-5)
    keys = list(compiled.module_.state_dict())
    assert keys == list(eager.module_.state_dict())
    assert not any("_orig_mod" in key for key in keys)

    # parameter files go both ways between compiled and eager networks
    compiled.save_params(f_params=tmp_path / "compiled.pt")
    reloaded = _vacnn(module__n_classes=2).initialize()
    reloaded.load_params(f_params=tmp_path / "compiled.pt")
    reloaded.label_encoder_ = compiled.label_encoder_
    np.testing.assert_allclose(reloaded.predict_proba(X), compiled.predict_proba(X),
                               rtol=1e-5, atol=1e-6)
    eager.save_params(f_params=tmp_path / "eager.pt")
    compiled.load_params(f_params=tmp_path / "eager.pt")
    np.testing.assert_allclose(compiled.predict_proba(X), eager.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


@needs_compile
def test_compiled_estimator_pickles_and_clones(data):
    X, y = data
    compiled = _vacnn(compile="reduce-overhead", max_epochs=1, **QUICK_COMPILE).fit(X, y)
    restored = pickle.loads(pickle.dumps(compiled))
    assert restored.module_._compiled_call_impl is not None  # compiled again on unpickling
    np.testing.assert_allclose(restored.predict_proba(X), compiled.predict_proba(X),
                               rtol=1e-5, atol=1e-6)
    copy = clone(compiled)
    assert copy.get_params()["compile"] == "reduce-overhead"
    assert copy.get_params()["compile__backend"] == "aot_eager"


@needs_compile
@pytest.mark.slow
def test_inductor_compiled_vacnn_matches_eager(data):
    X, y = data
    eager = _vacnn().fit(X, y)
    compiled = _vacnn(compile=True).fit(X, y)
    np.testing.assert_allclose(compiled.predict_proba(X), eager.predict_proba(X), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("bad", ["fast", 1, None])
def test_compile_values_are_checked(data, bad):
    X, y = data
    with pytest.raises(ValueError, match="compile must be False, True or one of"):
        _vacnn(compile=bad, max_epochs=1).fit(X, y)


# -- data_on_device ------------------------------------------------------------------------------
def _iterator_kind(clf, X, y):
    seen = []
    original = clf.get_iterator

    def spy(dataset, training=False):
        iterator = original(dataset, training=training)
        seen.append(type(iterator))
        return iterator

    clf.get_iterator = spy
    clf.fit(X, y)
    clf.predict_proba(X)
    del clf.get_iterator
    return set(seen)


@pytest.mark.parametrize("train_split", ["auto", None])
def test_device_copy_gives_the_batches_of_the_loader(data, train_split):
    """Without shuffling both paths see the same batches: same training, bit for bit (CPU)."""
    X, y = data
    params = dict(iterator_train__shuffle=False, train_split=train_split, max_epochs=3)
    plain = _vacnn(data_on_device=False, **params)
    copied = _vacnn(data_on_device=True, **params)
    assert _iterator_kind(plain, X, y) == {DataLoader}
    assert _iterator_kind(copied, X, y) == {DeviceBatches}
    np.testing.assert_array_equal(copied.predict_proba(X), plain.predict_proba(X))
    assert copied.history[:, "train_loss"] == plain.history[:, "train_loss"]


def test_device_copy_with_dict_inputs_and_shuffling(data):
    X, y = data
    bovw = np.random.default_rng(1).dirichlet(np.ones(8), len(y)).astype(np.float32)
    Xd = {"image": X, "bovw": bovw}
    params = dict(module__widths=WIDTHS, max_epochs=2, batch_size=4, random_state=0)
    a = VACNNBOVWClassifier(data_on_device=True, **params).fit(Xd, y)
    b = VACNNBOVWClassifier(data_on_device=True, **params).fit(Xd, y)
    np.testing.assert_array_equal(a.predict_proba(Xd), b.predict_proba(Xd))  # seeded
    assert {"image", "bovw"} <= set(a.get_iterator(a.get_dataset(Xd)).X)


def test_auto_is_a_no_op_on_the_cpu(data):
    X, y = data
    assert _iterator_kind(_vacnn(device="cpu"), X, y) == {DataLoader}


def test_device_batches_cover_each_row_once_per_epoch():
    X = torch.arange(10.0).view(10, 1)
    batches = DeviceBatches(X, torch.arange(10), np.array([9, 1, 4, 6, 2]), batch_size=2,
                            shuffle=True, generator=torch.Generator().manual_seed(0))
    assert len(batches) == 3
    rows = torch.cat([xb[:, 0] for xb, _ in batches]).tolist()
    assert sorted(rows) == [1.0, 2.0, 4.0, 6.0, 9.0]
    assert all(torch.equal(xb[:, 0].long(), yb) for xb, yb in batches)
    dropped = DeviceBatches(X, None, None, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(xb) for xb, _ in dropped] == [4, 4]


def test_datasets_the_device_path_cannot_take_use_their_own_loader():
    rng = np.random.default_rng(0)
    X = pack_spectrograms([rng.normal(size=(16, int(n))).astype("float32")
                           for n in rng.integers(20, 50, size=8)])
    y = np.array(["anger", "sadness"] * 4)
    clf = CRNNClassifier(max_epochs=1, batch_size=4, data_on_device=True, random_state=0,
                         module__channels=(4, 8), module__kernel_sizes=(5, 3),
                         module__strides=(1, 1), module__pool_sizes=(2, 2),
                         module__hidden_size=8, module__embedding_dim=6)
    kinds = _iterator_kind(clf, X, y)
    assert DeviceBatches not in kinds  # variable lengths: the bucketing loader pads them


@pytest.mark.parametrize("bad", ["always", 1])
def test_data_on_device_values_are_checked(data, bad):
    X, y = data
    with pytest.raises(ValueError, match="data_on_device must be"):
        _vacnn(data_on_device=bad, max_epochs=1).fit(X, y)


# -- every network takes every option -----------------------------------------------------------
def _every_network(data):
    X, y = data
    rng = np.random.default_rng(0)
    spectrograms = pack_spectrograms([rng.normal(size=(16, int(n))).astype("float32")
                                      for n in rng.integers(20, 50, size=12)])
    segments = pack_segments([rng.normal(size=(1 + i % 3, 1, 32, 32)).astype(np.float32)
                              for i in range(12)])
    bovw = {"image": X, "bovw": rng.dirichlet(np.ones(8), len(y)).astype(np.float32)}
    return [
        (VACNNClassifier, dict(module__widths=WIDTHS), X),
        (VACNNBOVWClassifier, dict(module__widths=WIDTHS), bovw),
        (ViTClassifier, dict(module__embed_dim=8, module__depth=1, module__n_heads=2), X),
        (CRNNClassifier, dict(module__channels=(4, 8), module__kernel_sizes=(5, 3),
                              module__strides=(1, 1), module__pool_sizes=(2, 2),
                              module__hidden_size=8, module__embedding_dim=6), spectrograms),
        (LateFusionClassifier, dict(module__fusion_channels=4, module__fusion_size=(2, 2)),
         segments),
    ]


def test_every_network_estimator_takes_the_options(data):
    _, y = data
    for cls, params, X in _every_network(data):
        clf = cls(max_epochs=1, batch_size=4, random_state=0, amp=True, channels_last=True,
                  data_on_device=True, deterministic=True, **params).fit(X, y)
        proba = clf.predict_proba(X)
        assert proba.dtype == np.float32 and np.allclose(proba.sum(axis=1), 1, atol=1e-3)
        got = clone(clf).get_params()
        assert (got["amp"], got["channels_last"], got["data_on_device"], got["deterministic"],
                got["compile"]) == (True, True, True, True, False), cls.__name__
        defaults = cls().get_params()
        assert (defaults["amp"], defaults["channels_last"], defaults["data_on_device"],
                defaults["deterministic"], defaults["compile"]) == (
                    False, False, "auto", False, False), cls.__name__
