"""CRNNClassifier: center loss wiring, bucketing, embeddings, sklearn contract, real speech."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_ser.estimators.crnn import (
    BucketLoader,
    CRNNClassifier,
    LengthBucketBatchSampler,
    PaddedLoader,
    SpectrogramDataset,
    dataset_lengths,
    pad_collate,
    plot_embedding_pca,
    within_class_spread,
)
from sklearn_ser.features.spectrogram import LogMelSpectrogram, pack_spectrograms
from sklearn_ser.models.losses import SoftmaxCenterLoss

#: A small network for synthetic data (16 bins).
TINY = dict(module__channels=(4, 8), module__kernel_sizes=(5, 3), module__strides=(1, 1),
            module__pool_sizes=(2, 2), module__hidden_size=8, module__embedding_dim=6)


def toy(n=24, n_bins=16, seed=0, labels=("anger", "neutral", "sadness"), offset=2.5):
    """Classes that differ by the frequency band holding the energy; lengths 20-70 frames."""
    rng = np.random.default_rng(seed)
    y = np.array([labels[i % len(labels)] for i in range(n)])
    X = []
    for label in y:
        k = labels.index(label)
        S = rng.normal(0.0, 1.0, size=(n_bins, int(rng.integers(20, 70))))
        S[4 * k:4 * k + 4] += offset
        X.append(S.astype(np.float32))
    return pack_spectrograms(X), y


# --------------------------------------------------------------------------
# data pipeline
# --------------------------------------------------------------------------
def test_bucket_sampler_covers_every_item_once_with_little_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(100, 900, size=400)
    sampler = LengthBucketBatchSampler(lengths, batch_size=32, pool_batches=4,
                                       generator=torch.Generator().manual_seed(0))
    epoch1, epoch2 = list(sampler), list(sampler)
    assert len(epoch1) == len(sampler) == 13  # pools of 128: 4 + 4 + 4 + 1 batches
    for epoch in (epoch1, epoch2):
        assert sorted(i for batch in epoch for i in batch) == list(range(400))
    assert epoch1 != epoch2  # reshuffled every epoch

    def padding(batches):
        return sum(len(b) * lengths[b].max() - lengths[b].sum() for b in batches) / lengths.sum()

    shuffled = [list(b) for b in np.array_split(rng.permutation(400), 13)]
    assert padding(epoch1) < 0.4 * padding(shuffled)
    sorted_all = LengthBucketBatchSampler(lengths, 32, shuffle=False, pool_batches=None)
    assert padding(list(sorted_all)) <= padding(epoch1)
    dropped = list(LengthBucketBatchSampler(lengths, 32, pool_batches=4, drop_last=True))
    assert all(len(b) == 32 for b in dropped) and len(dropped) == 12


def test_bucket_sampler_is_seeded_by_the_global_torch_rng():
    lengths = np.arange(50)
    torch.manual_seed(3)
    a = list(LengthBucketBatchSampler(lengths, 8))
    torch.manual_seed(3)
    assert a == list(LengthBucketBatchSampler(lengths, 8))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        LengthBucketBatchSampler(lengths, 0)
    with pytest.raises(ValueError, match="pool_batches"):
        LengthBucketBatchSampler(lengths, 4, pool_batches=0)


def test_loaders_pad_per_batch_and_pass_lengths():
    X, y = toy(n=10)
    ds = SpectrogramDataset(X, np.arange(10))
    seen = []
    for inputs, target in BucketLoader(ds, batch_size=4):
        assert inputs["X"].shape[2] == int(inputs["lengths"].max())
        for row, n, t in zip(inputs["X"], inputs["lengths"], target):
            np.testing.assert_array_equal(row[:, :n].numpy(), X[int(t)])
            assert torch.all(row[:, n:] == 0)
            seen.append(int(t))
    assert sorted(seen) == list(range(10))
    order = [int(t) for _, ts in PaddedLoader(ds, batch_size=3) for t in ts]
    assert order == list(range(10))
    with pytest.raises(ValueError, match="keeps the dataset order"):
        PaddedLoader(ds, shuffle=True)
    subset = torch.utils.data.Subset(ds, [3, 1])
    assert dataset_lengths(subset).tolist() == [X[3].shape[1], X[1].shape[1]]
    inputs, _ = pad_collate([ds[0], ds[1]])
    assert inputs["lengths"].tolist() == [X[0].shape[1], X[1].shape[1]]


# --------------------------------------------------------------------------
# parameters, class weights, criterion
# --------------------------------------------------------------------------
def test_lambda_alpha_class_weight_are_sklearn_parameters():
    clf = CRNNClassifier(lambda_=0.0, alpha=0.7, class_weight=None)
    params = clf.get_params()
    assert params["lambda_"] == 0.0 and params["alpha"] == 0.7 and params["class_weight"] is None
    twin = clone(clf)
    assert (twin.lambda_, twin.alpha, twin.class_weight) == (0.0, 0.7, None)
    twin.set_params(lambda_=0.3)
    assert twin.lambda_ == 0.3 and clf.lambda_ == 0.0
    assert params["lr"] == 3e-4 and params["batch_size"] == 32


def test_balanced_class_weights_are_inverse_to_counts_and_reach_the_criterion():
    X, _ = toy(n=20)
    y = np.array(["anger"] * 12 + ["neutral"] * 6 + ["sadness"] * 2)
    clf = CRNNClassifier(max_epochs=1, batch_size=8, train_split=None, random_state=0,
                         lambda_=0.2, alpha=0.4, **TINY).fit(X, y)
    counts = np.array([12, 6, 2])
    np.testing.assert_allclose(clf.class_weight_ * counts, 20 / 3)  # n / (k * count)
    criterion = clf.criterion_
    assert isinstance(criterion, SoftmaxCenterLoss)
    np.testing.assert_allclose(criterion.class_weight.cpu().numpy(), clf.class_weight_, rtol=1e-6)
    assert criterion.lambda_ == 0.2 and criterion.center_loss.alpha == 0.4
    assert criterion.centers.shape == (3, 6) and torch.any(criterion.centers != 0)
    none = CRNNClassifier(class_weight=None, max_epochs=1, train_split=None, **TINY).fit(X, y)
    np.testing.assert_array_equal(none.class_weight_, [1.0, 1.0, 1.0])
    given = CRNNClassifier(class_weight={"sadness": 4.0}, max_epochs=1, train_split=None,
                           **TINY).fit(X, y)
    np.testing.assert_array_equal(given.class_weight_, [1.0, 1.0, 4.0])


@pytest.mark.parametrize("params, match", [
    (dict(lambda_=-0.1), "lambda_ must be a finite number >= 0"),
    (dict(alpha=2.0), r"alpha must be a number in \[0, 1\]"),
    (dict(class_weight="inverse"), "class_weight must be 'balanced'"),
    (dict(class_weight={"joy": 2.0}), "class_weight names labels not in y"),
])
def test_bad_loss_parameters_fail_at_fit_with_a_clear_message(params, match):
    X, y = toy(n=6)
    with pytest.raises(ValueError, match=match):
        CRNNClassifier(max_epochs=1, **TINY, **params).fit(X, y)


def test_bad_inputs_fail_with_a_clear_message():
    X, y = toy(n=6)
    with pytest.raises(TypeError, match="compute spectrograms first"):
        CRNNClassifier(**TINY).fit(["a.wav"] * 6, y)
    with pytest.raises(ValueError, match="one label per utterance"):
        CRNNClassifier(**TINY).fit(X, y[:4])
    clf = CRNNClassifier(max_epochs=1, train_split=None, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="expected 16"):
        clf.predict([np.zeros((20, 30), dtype=np.float32)])


# --------------------------------------------------------------------------
# training, prediction, embeddings
# --------------------------------------------------------------------------
def test_predictions_keep_order_and_ignore_batch_partners():
    X, y = toy(n=18)
    clf = CRNNClassifier(max_epochs=2, batch_size=4, random_state=0, **TINY).fit(X, y)
    assert {"valid_acc", "valid_ua"} <= set(clf.history[-1])
    proba = clf.predict_proba(X)
    one_by_one = np.concatenate([clf.predict_proba(X[i:i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(proba, one_by_one, atol=1e-5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= set(y)
    E = clf.embed(X)
    np.testing.assert_allclose(E[5], clf.transform(X[5:6])[0], atol=1e-5)
    assert E.shape == (18, 6) and E.dtype == np.float32


def test_same_seed_same_model():
    X, y = toy(n=12)
    a = CRNNClassifier(max_epochs=2, batch_size=4, random_state=7, **TINY).fit(X, y)
    b = CRNNClassifier(max_epochs=2, batch_size=4, random_state=7, **TINY).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_center_loss_shrinks_the_intra_class_spread():
    X, y = toy(n=48, seed=1, offset=1.0)
    raw, fraction = {}, {}
    for lam in (0.0, 1.0):
        clf = CRNNClassifier(lambda_=lam, alpha=0.5, max_epochs=10, batch_size=8, lr=3e-3,
                             train_split=None, random_state=1, **TINY).fit(X, y)
        E = clf.embed(X)
        raw[lam] = within_class_spread(E, y, normalize=False)
        fraction[lam] = within_class_spread(E, y)
        # the embeddings sit closer to the criterion's class centers than to the origin
        if lam:
            centers = clf.criterion_.centers.cpu().numpy()[clf.label_encoder_.transform(y)]
            assert np.mean((E - centers) ** 2) < np.mean(E ** 2)
    assert raw[1.0] < 0.6 * raw[0.0]
    assert fraction[0.0] < 0.2 and fraction[1.0] < 0.2  # classes stay apart in both


def test_transform_feeds_another_estimator_in_a_pipeline():
    X, y = toy(n=18)
    pipe = make_pipeline(CRNNClassifier(max_epochs=2, batch_size=6, train_split=None,
                                        random_state=0, **TINY), LogisticRegression())
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (18,)


def test_plot_embedding_pca_draws_one_panel_per_model():
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(0)
    y = np.repeat(["anger", "neutral", "sadness"], 10)
    E = rng.normal(size=(30, 6))
    fig = plot_embedding_pca({"setting 1": E, "setting 2": E * 0.5}, y, title="Fig. 4")
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["setting 1", "setting 2"]
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 30
    single = plot_embedding_pca(E, y, title="one")
    assert len(single.axes) == 1 and single.axes[0].get_title() == "one"
    with pytest.raises(ValueError, match="one row per label"):
        plot_embedding_pca(E[:5], y)


# --------------------------------------------------------------------------
# real speech: pipeline, clone, cross-validation, pickling
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def emodb_subset(emodb_home):
    from sklearn_ser.datasets import load_emodb

    bunch = load_emodb(data_home=emodb_home)
    y = np.asarray(bunch.target)
    keep = np.concatenate([np.flatnonzero(y == label)[:5]
                           for label in ("anger", "neutral", "sadness", "happiness")])
    return np.asarray(bunch.filenames)[keep], y[keep]


def test_real_emodb_pipeline_cross_val_score_and_pickle(emodb_subset, tmp_path):
    files, y = emodb_subset
    pipe = make_pipeline(
        LogMelSpectrogram(memory=tmp_path / "cache"),
        CRNNClassifier(max_epochs=1, batch_size=8, random_state=0,
                       module__channels=(8, 16, 16)))
    scores = cross_val_score(clone(pipe), files, y, cv=StratifiedKFold(2), scoring="ser_ua")
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    pipe.fit(files, y)
    clf = pipe[-1]
    assert clf.module_.n_bins == 128 and list(clf.classes_) == sorted(set(y))
    proba = pipe.predict_proba(files)
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(again.predict_proba(files), proba, atol=1e-6)
    assert again[-1].get_params()["lambda_"] == 0.3
    E = pipe[-1].embed(pipe[0].transform(files))
    assert E.shape == (20, 128) and np.isfinite(E).all()
