"""LateFusionClassifier: segment-level training, utterance-level prediction, weights, sklearn."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline

from sklearn_ser.estimators.late_fusion import LateFusionClassifier
from sklearn_ser.features.gds import GaussianDataSelector
from sklearn_ser.features.segments import SegmentedLogMel, expand_segments, pack_segments
from sklearn_ser.models.vggish import VGGish
from sklearn_ser.models.yamnet import YAMNet
from sklearn_ser.utils.device import module_device, to_device

SMALL = dict(module__fusion_channels=4, module__fusion_size=(2, 2), batch_size=16,
             random_state=0)


def toy(n=12, seed=0, size=(32, 32)):
    """Two classes that differ in level; 1-3 segments per utterance."""
    rng = np.random.default_rng(seed)
    y = np.array(["anger", "sadness"] * (n // 2))
    X = [rng.normal(1.5 if label == "anger" else -1.5, 1.0,
                    size=(1 + i % 3, 1) + size).astype(np.float32)
         for i, label in enumerate(y)]
    return pack_segments(X), y


def test_fit_expands_segments_and_predicts_per_utterance():
    X, y = toy()
    clf = LateFusionClassifier(max_epochs=2, train_split=None, **SMALL).fit(X, y)
    assert clf.n_training_segments_ == sum(len(u) for u in X) == 24
    proba = clf.predict_proba(X)
    assert proba.shape == (12, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # the utterance probability is the mean of its segments' softmax outputs
    segments, owner = expand_segments(X)
    clf.module_.eval()
    with torch.no_grad():
        logits = clf.module_(to_device(segments, module_device(clf.module_)))
        seg_proba = torch.softmax(logits, dim=1).cpu().numpy()
    for i in range(12):
        np.testing.assert_allclose(proba[i], seg_proba[owner == i].mean(axis=0), rtol=1e-5,
                                   atol=1e-6)
    assert clf.predict(X).shape == (12,)
    assert set(clf.predict(X)) <= {"anger", "sadness"}
    assert 0.0 <= clf.score(X, y) <= 1.0


def test_one_segment_per_utterance_plain_array():
    X, y = toy()
    plain = np.stack([u[0] for u in X])  # (12, 1, 32, 32): 12 utterances of 1 segment
    clf = LateFusionClassifier(max_epochs=1, train_split=None, **SMALL).fit(plain, y)
    assert clf.n_training_segments_ == 12 and clf.predict_proba(plain).shape == (12, 2)


def test_internal_validation_holds_out_whole_utterances():
    X, y = toy(n=20)
    clf = LateFusionClassifier(max_epochs=1, valid_fraction=0.25, **SMALL)
    segments, owner = expand_segments(X)
    clf.fit(X, y)  # initialises; now ask for the split the way fit does
    clf.segment_owner_ = owner
    y_enc = clf.label_encoder_.transform(y[owner])
    train, valid = clf.get_split_datasets(segments, y_enc)
    del clf.segment_owner_
    train_utts, valid_utts = set(owner[train.indices]), set(owner[valid.indices])
    assert not train_utts & valid_utts
    assert len(valid_utts) == 5 and len(train.indices) + len(valid.indices) == len(owner)
    assert sorted(np.unique(y[list(valid_utts)])) == ["anger", "sadness"]  # stratified
    assert len(clf.history) == 1 and "valid_acc" in clf.history[-1]


def test_refit_full_trains_the_second_run_on_every_segment():
    X, y = toy(n=20)
    clf = LateFusionClassifier(max_epochs=3, patience=2, valid_fraction=0.25, refit_full=True,
                               **SMALL).fit(X, y)
    n_segments = sum(len(u) for u in X)
    assert len(clf.history) == clf.best_epoch_ >= 1
    for epoch in clf.history:
        assert sum(b.get("train_batch_size", 0) for b in epoch["batches"]) == n_segments
    first = clf.selection_history_[0]["batches"]
    assert sum(b.get("train_batch_size", 0) for b in first) < n_segments


def test_frozen_backbones_do_not_move_and_unfrozen_ones_do():
    X, y = toy()
    for freeze in (True, False):
        clf = LateFusionClassifier(max_epochs=1, train_split=None, freeze_backbones=freeze,
                                   **SMALL).fit(X, y)
        before = {k: v.clone() for k, v in clf.module_.state_dict().items()}
        clf.partial_fit(X, y)  # one more epoch on the same network
        after = clf.module_.state_dict()
        backbone = [k for k in before if k.startswith(("vggish.", "yamnet."))]
        moved = [k for k in backbone if not torch.equal(before[k], after[k])]
        if freeze:
            assert moved == []  # weights and YAMNet's batch-norm statistics alike
            assert not any(p.requires_grad for p in clf.module_.backbone_parameters())
        else:
            assert "vggish.block1.convs.0.weight" in moved
            assert "yamnet.layers.0.bn.running_mean" in moved
        assert not torch.equal(before["classifier.weight"], after["classifier.weight"])
        assert len(clf.history) == 2


def test_backbone_weights_are_loaded_at_every_fit(tmp_path):
    torch.manual_seed(1)
    vggish_state = VGGish().state_dict()  # a full VGGish: its fc layers are ignored
    yamnet_state = YAMNet().state_dict()
    torch.save(vggish_state, tmp_path / "vggish.pt")
    torch.save(yamnet_state, tmp_path / "yamnet.pt")
    X, y = toy()
    clf = LateFusionClassifier(max_epochs=1, train_split=None,
                               vggish_weights=tmp_path / "vggish.pt",
                               yamnet_weights=yamnet_state, **SMALL).fit(X, y)
    got = {key: value.cpu() for key, value in clf.module_.state_dict().items()}
    assert torch.equal(got["vggish.block4.convs.1.weight"], vggish_state["block4.convs.1.weight"])
    assert torch.equal(got["yamnet.layers.13.pointwise.weight"],
                       yamnet_state["layers.13.pointwise.weight"])
    bad = LateFusionClassifier(max_epochs=1, train_split=None,
                               yamnet_weights={"layers.0.conv.weight": torch.zeros(1)}, **SMALL)
    with pytest.raises(ValueError, match="do not fit YAMNet"):
        bad.fit(X, y)


def test_label_count_must_match_utterances():
    X, y = toy()
    with pytest.raises(ValueError, match="one label per utterance"):
        LateFusionClassifier(max_epochs=1, **SMALL).fit(X, np.repeat(y, 2))
    with pytest.raises(TypeError, match="SegmentedLogMel"):
        LateFusionClassifier(max_epochs=1, **SMALL).fit(["a.wav"] * 12, y)


def test_clone_pickle_and_grid_search():
    X, y = toy()
    clf = LateFusionClassifier(max_epochs=1, train_split=None, freeze_backbones=True, **SMALL)
    params = clone(clf).get_params()
    assert params["freeze_backbones"] is True and params["lr"] == 0.01
    assert params["max_epochs"] == 1 and params["device"] == "auto"
    clf.fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), rtol=1e-5)
    grid = GridSearchCV(clone(clf), {"lr": [0.01, 0.001]}, cv=StratifiedKFold(2), refit=False)
    grid.fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 2


def test_defaults_follow_the_paper():
    clf = LateFusionClassifier()
    assert (clf.lr, clf.max_epochs, clf.batch_size) == (0.01, 20, 128)
    assert clf.optimizer is torch.optim.Adam


def test_real_emodb_pipeline_cross_validates_per_utterance(emodb_home):
    from sklearn_ser.datasets import load_emodb

    bunch = load_emodb(data_home=emodb_home)
    emotions = ["anger", "boredom", "neutral", "sadness"]
    idx = np.concatenate([np.flatnonzero(bunch.target == e)[:6] for e in emotions])
    files, y = np.asarray(bunch.filenames)[idx], np.asarray(bunch.target)[idx]
    assert len(files) == 24

    seen = []

    def utterance_accuracy(estimator, X, y_true):
        y_pred = estimator.predict(X)
        seen.append((len(X), len(y_true), len(y_pred)))
        return float(np.mean(y_pred == y_true))

    pipe = make_pipeline(SegmentedLogMel(), GaussianDataSelector(),
                         LateFusionClassifier(max_epochs=1, random_state=0))
    out = cross_validate(pipe, files, y, cv=StratifiedKFold(2, shuffle=True, random_state=0),
                         scoring=utterance_accuracy, return_estimator=True)
    assert out["test_score"].shape == (2,) and np.isfinite(out["test_score"]).all()
    assert seen == [(12, 12, 12), (12, 12, 12)]  # scored per utterance, not per segment
    for est in out["estimator"]:
        gds, clf = est[1], est[2]
        assert gds.n_utterances_ == 12
        assert clf.n_training_segments_ == gds.n_segments_kept_ <= gds.n_segments_in_
        assert sorted(clf.classes_) == emotions
