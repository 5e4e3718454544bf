"""Safe persistence: weights load without pickle; downloads never leave partial files.

``tests/datasets/test_corpus_fetch.py`` covers a wrong digest and a bad
archive; here the download itself is interrupted.
"""

import io
import os
import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import TrainEndCheckpoint

from sklearn_ser.datasets import fetch_tess
from sklearn_ser.estimators import (
    ResumableCheckpoint,
    VACNNBOVWClassifier,
    VACNNClassifier,
    load_encoder_state,
    load_training_state,
)
from sklearn_ser.utils import FeatureCache
from sklearn_ser.utils import _files as _download


class _Payload:
    """Pickles to a call of ``os.mkdir(marker)``: loading it with pickle would run code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, size=(12, 1, 16, 16)).astype(np.float32)
    y = np.array(["anger", "fear", "sadness"] * 4)
    return VACNNClassifier(max_epochs=1, train_split=None, random_state=0).fit(X, y), X, y


def test_save_params_files_load_with_weights_only(tmp_path, fitted):
    clf, X, y = fitted
    files = {k: tmp_path / f"{k}.pt" for k in ("f_params", "f_optimizer", "f_criterion")}
    clf.save_params(**files)
    for path in files.values():
        torch.load(path, weights_only=True)  # raises if anything needed pickle
    params = torch.load(files["f_params"], weights_only=True)
    assert set(params) == set(clf.module_.state_dict())
    # and load_params (skorch also uses weights_only=True) restores the same predictions
    other = VACNNClassifier(max_epochs=1, train_split=None, random_state=1).fit(X, y)
    other.load_params(f_params=files["f_params"])
    np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))


def test_train_end_and_resumable_checkpoints_need_no_pickle(tmp_path, fitted):
    _, X, y = fitted
    VACNNClassifier(max_epochs=2, train_split=None, random_state=0, callbacks=[
        ("final", TrainEndCheckpoint(dirname=str(tmp_path / "final"))),
        ("resume", ResumableCheckpoint(tmp_path / "resume")),
    ]).fit(X, y)
    final = torch.load(tmp_path / "final" / "train_end_params.pt", weights_only=True)
    assert load_encoder_state(tmp_path / "final" / "train_end_params.pt").keys() \
        == {k[len("encoder."):] for k in final if k.startswith("encoder.")}
    state = torch.load(tmp_path / "resume" / "training_state.pt", weights_only=True)
    assert state["epoch"] == 2 and isinstance(state["history"], str)


def test_pickled_code_in_a_weights_file_is_refused_not_run(tmp_path, fitted):
    clf, X, y = fitted
    marker = tmp_path / "code_ran"
    bad = tmp_path / "vacnn.pt"
    torch.save({"encoder.stem.weight": _Payload(marker)}, bad)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load_encoder_state(bad)
    with pytest.raises(pickle.UnpicklingError):
        VACNNBOVWClassifier(pretrained=bad, max_epochs=1).fit(
            {"image": X, "bovw": np.full((len(y), 4), 0.25, dtype=np.float32)}, y)
    with pytest.raises(ValueError, match="holds objects that need pickle; delete it"):
        load_training_state(bad)
    assert not marker.exists()


def test_pickled_object_in_the_feature_cache_is_a_miss_not_run(tmp_path):
    marker = tmp_path / "code_ran"
    cache = FeatureCache(tmp_path, "T", {})
    cache.folder.mkdir(parents=True)
    np.save(cache.path_for("k"), np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    assert cache.get("k") is None
    assert not marker.exists()


class _BrokenResponse(io.BytesIO):
    """An HTTP response that delivers one chunk, then fails like a dropped connection."""

    def __init__(self, error):
        super().__init__(b"PK\x03\x04" + bytes(1000))
        self.error = error
        self.calls = 0

    def read(self, size=-1):
        self.calls += 1
        if self.calls > 1:
            raise self.error
        return super().read(size)


@pytest.mark.parametrize("error", [ConnectionResetError("connection reset by peer"),
                                   KeyboardInterrupt()])
def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch, error):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setattr(_download.urllib.request, "urlopen",
                        lambda url, timeout: _BrokenResponse(error))
    with pytest.raises(type(error)):
        fetch_tess(home, url="https://example.org/tess.zip", sha256="a" * 64)
    assert os.listdir(home) == []  # no partial archive, no half-made corpus folder
