"""save/load of fitted pipelines: weights as state dicts, identical predictions after loading."""

import json

import joblib
import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.features import BOVWEncoder, LogMelImage
from sklearn_ser.persistence import MANIFEST_NAME, load, read_manifest, save

SIZE = 64
WIDTHS = (8, 8, 8)  # a small VACNN: the point is the round trip, not the accuracy


@pytest.fixture(scope="module")
def emodb16(emodb_home):
    """16 real EmoDB utterances: 4 of each of anger, sadness, neutral, happiness."""
    bunch = load_emodb(data_home=emodb_home)
    rng = np.random.default_rng(0)
    keep = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(bunch.target == label), 4, replace=False)
        for label in ("anger", "sadness", "neutral", "happiness")]))
    return np.asarray(bunch.filenames)[keep], np.asarray(bunch.target)[keep]


def _net(cls=VACNNClassifier, **params):
    defaults = dict(module__widths=WIDTHS, max_epochs=2, train_split=None, random_state=0)
    return cls(**{**defaults, **params})


@pytest.fixture(scope="module")
def vacnn_pipeline(emodb16):
    files, y = emodb16
    return make_pipeline(LogMelImage(size=(SIZE, SIZE)), _net()).fit(files, y)


@pytest.fixture(scope="module")
def bovw_pipeline(kaze, emodb16, vacnn_pipeline):
    files, y = emodb16
    return make_pipeline(
        LogMelImage(size=(SIZE, SIZE)),
        BOVWEncoder(n_words=8, output="dict", random_state=0),
        _net(VACNNBOVWClassifier, pretrained=FrozenEstimator(vacnn_pipeline[-1])),
    ).fit(files, y)


def test_logmel_vacnn_round_trip(vacnn_pipeline, emodb16, tmp_path):
    files, y = emodb16
    manifest = save(vacnn_pipeline, tmp_path / "model")
    loaded = load(tmp_path / "model")

    np.testing.assert_array_equal(loaded.predict_proba(files), vacnn_pipeline.predict_proba(files))
    np.testing.assert_array_equal(loaded.predict(files), vacnn_pipeline.predict(files))
    assert loaded.classes_.tolist() == sorted(set(y))
    assert len(loaded[-1].history) == 2
    assert manifest["classes"] == sorted(set(y))
    assert manifest["networks"][0]["path"] == "estimator.steps[1][1]"
    assert read_manifest(tmp_path / "model") == json.loads(
        (tmp_path / "model" / MANIFEST_NAME).read_text())


def test_weights_are_plain_state_dicts(vacnn_pipeline, tmp_path):
    manifest = save(vacnn_pipeline, tmp_path / "model")
    weights = manifest["networks"][0]["weights"]
    assert set(weights) == {"module", "optimizer"}
    state = torch.load(tmp_path / "model" / weights["module"], weights_only=True)
    reference = vacnn_pipeline[-1].module_.state_dict()
    assert list(state) == list(reference)
    for key, value in reference.items():
        assert torch.equal(state[key].cpu(), value.cpu())
    optimizer = torch.load(tmp_path / "model" / weights["optimizer"], weights_only=True)
    assert set(optimizer) == {"state", "param_groups"}
    # the joblib part holds the network without its weights
    stored = joblib.load(tmp_path / "model" / "estimator.joblib")
    assert not getattr(stored[-1], "initialized_", False)
    assert not hasattr(stored[-1], "module_")


def test_bovw_vacnnbovw_round_trip(bovw_pipeline, emodb16, tmp_path):
    files, _ = emodb16
    net = bovw_pipeline[-1]
    manifest = save(bovw_pipeline, tmp_path / "model")
    loaded = load(tmp_path / "model")

    np.testing.assert_array_equal(loaded.predict_proba(files), bovw_pipeline.predict_proba(files))
    np.testing.assert_array_equal(loaded[1].vocabulary_, bovw_pipeline[1].vocabulary_)
    # the fitted network passed as `pretrained` is not stored; its weights are in the fine-tuned
    # network already, and the caller's pipeline keeps it
    assert loaded[-1].pretrained is None
    assert "FrozenEstimator" in manifest["networks"][0]["dropped_params"]["pretrained"]
    assert isinstance(net.pretrained, FrozenEstimator)
    frozen = {name for name, p in loaded[-1].module_.named_parameters() if not p.requires_grad}
    assert frozen == set(net.frozen_parameters_) and frozen


def test_pretrained_file_is_not_needed_to_load(emodb16, vacnn_pipeline, tmp_path):
    files, y = emodb16
    pretrained = tmp_path / "vacnn.pt"
    vacnn_pipeline[-1].save_params(f_params=str(pretrained))
    images = LogMelImage(size=(SIZE, SIZE)).transform(files)
    X = {"image": images, "bovw": np.full((len(y), 4), 0.25, dtype="float32")}
    clf = _net(VACNNBOVWClassifier, pretrained=str(pretrained), max_epochs=1).fit(X, y)
    save(clf, tmp_path / "model")
    pretrained.unlink()

    loaded = load(tmp_path / "model", device="cpu")
    assert loaded.pretrained == str(pretrained)  # kept as a setting, not read
    # clf may run on a GPU: its float32 arithmetic differs from the CPU's in the last digits
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-4,
                               atol=1e-6)


def test_grid_search_and_rng_untouched(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, (12, 1, 16, 16)).astype("float32")
    y = np.array(["anger", "sadness", "neutral"] * 4)
    search = GridSearchCV(_net(max_epochs=1), {"lr": [1e-3, 1e-2]}, cv=2).fit(X, y)
    save(search, tmp_path / "search")
    torch.manual_seed(123)
    before = torch.get_rng_state()
    loaded = load(tmp_path / "search")
    assert torch.equal(torch.get_rng_state(), before)
    np.testing.assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))
    assert loaded.best_params_ == search.best_params_


def test_loaded_network_keeps_training(vacnn_pipeline, emodb16, tmp_path):
    files, y = emodb16
    save(vacnn_pipeline, tmp_path / "model")
    loaded = load(tmp_path / "model")
    images = loaded[0].transform(files)
    loaded[-1].set_params(max_epochs=1).partial_fit(images, y)
    assert len(loaded[-1].history) == 3


def test_stateless_module_settings_are_kept(emodb16, tmp_path):
    from sklearn_ser.models import SpecAugment

    files, y = emodb16
    images = LogMelImage(size=(SIZE, SIZE)).fit_transform(files)
    net = _net(module__augment=SpecAugment(time_mask=0.3)).fit(images, y)
    save(net, tmp_path / "model")
    assert "module__augment" not in read_manifest(tmp_path / "model")["networks"][0][
        "dropped_params"]
    loaded = load(tmp_path / "model")
    augment = loaded.get_params()["module__augment"]
    assert isinstance(augment, SpecAugment) and augment.time_mask == 0.3
    assert isinstance(loaded.module_.augment, SpecAugment)  # further training still augments
    np.testing.assert_array_equal(loaded.predict_proba(images), net.predict_proba(images))


def test_save_refuses_to_overwrite(vacnn_pipeline, tmp_path):
    save(vacnn_pipeline, tmp_path / "model")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save(vacnn_pipeline, tmp_path / "model")
    save(vacnn_pipeline, tmp_path / "model", overwrite=True, metadata={"run": 2})
    assert read_manifest(tmp_path / "model")["metadata"] == {"run": 2}
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a saved sklearn-ser model"):
        save(vacnn_pipeline, tmp_path / "other", overwrite=True)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "other"]  # no temp leftovers


def test_load_errors(vacnn_pipeline, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        load(tmp_path / "empty")

    folder = tmp_path / "model"
    save(vacnn_pipeline, folder)
    weights = folder / "net-0.module.pt"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ValueError, match="SHA-256"):
        load(folder)

    save(vacnn_pipeline, folder, overwrite=True)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["versions"]["torch"] = "0.0.1"
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="torch 0.0.1"):
        load(folder)
    manifest["format_version"] = 99
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="Upgrade sklearn-ser"):
        load(folder)
