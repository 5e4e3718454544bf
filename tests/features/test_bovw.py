"""Tests of the KAZE bag-of-visual-words encoder (sklearn_ser.features.bovw)."""

import doctest
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

from sklearn_ser.features import bovw
from sklearn_ser.features.bovw import (
    BOVWEncoder,
    extract_kaze_descriptors,
    select_n_words,
)
from sklearn_ser.utils._cache import digest_item

# KAZE runs in almost every test here (BOVWEncoder, extract_kaze_descriptors).
pytestmark = pytest.mark.requires_kaze

# ---------------------------------------------------------------- helpers


def blob_images(n, size=64, seed=0, n_blobs=6):
    """``(n, 1, size, size)`` float32 images of random Gaussian blobs, 0..255.

    Every image differs from every other one (random positions and radii), and
    KAZE finds 10-40 keypoints in each at 64x64.
    """
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[:size, :size]
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    for i in range(n):
        img = np.zeros((size, size))
        for _ in range(n_blobs):
            cy, cx = rng.uniform(0.1 * size, 0.9 * size, 2)
            r = rng.uniform(0.03 * size, 0.1 * size)
            img += rng.uniform(0.5, 1.0) * np.exp(
                -((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r)
            )
        images[i, 0] = 255.0 * img / img.max()
    return images


class ExtractionSpy:
    """Counts calls of ``bovw._detect_and_describe`` and records what they saw."""

    def __init__(self, monkeypatch):
        self.calls = []  # (phase, digest of the uint8 image)
        self.phase = None
        original = bovw._detect_and_describe

        def spy(image_u8, *args, **kwargs):
            self.calls.append((self.phase, digest_item(image_u8)))
            return original(image_u8, *args, **kwargs)

        monkeypatch.setattr(bovw, "_detect_and_describe", spy)

    def digests(self, phase):
        return {d for p, d in self.calls if p == phase}


def uint8_digests(images):
    return [digest_item(bovw._to_uint8(img)) for img in images]


@pytest.fixture(scope="module")
def images():
    return blob_images(24, seed=0)


@pytest.fixture(scope="module")
def fitted(images):
    return BOVWEncoder(n_words=8, random_state=0).fit(images)


# ------------------------------------------------------------ descriptors


def test_kaze_constructor_resolves_for_this_opencv():
    assert callable(bovw._kaze_create())


def test_descriptors_shape_and_dtype():
    image = blob_images(1, size=96, seed=3)[0]
    desc = extract_kaze_descriptors(image)
    assert desc.ndim == 2 and desc.shape[1] == 64 and desc.shape[0] > 5
    assert desc.dtype == np.float32
    assert np.isfinite(desc).all()
    # (1, H, W) and (H, W) are the same image
    np.testing.assert_array_equal(desc, extract_kaze_descriptors(image[0]))


def test_descriptors_do_not_depend_on_value_range():
    image = blob_images(1, seed=4)[0, 0]
    np.testing.assert_array_equal(
        extract_kaze_descriptors(image), extract_kaze_descriptors(image / 255.0)
    )


def test_checkerboard_has_keypoints():
    yy, xx = np.mgrid[:64, :64]
    board = ((yy // 8 + xx // 8) % 2).astype(np.float64)
    assert extract_kaze_descriptors(board).shape[0] > 0


@pytest.mark.parametrize("value", [0.0, 0.5, 255.0])
def test_constant_image_has_no_keypoints(value):
    desc = extract_kaze_descriptors(np.full((64, 64), value, dtype=np.float32))
    assert desc.shape == (0, 64) and desc.dtype == np.float32


def test_threshold_controls_keypoint_count():
    image = blob_images(1, size=96, seed=5)[0]
    many = extract_kaze_descriptors(image, threshold=0.0001).shape[0]
    few = extract_kaze_descriptors(image, threshold=0.01).shape[0]
    assert many > few


@pytest.mark.parametrize(
    "image, match",
    [
        (np.zeros((2, 8, 8)), r"\(H, W\) or \(1, H, W\)"),
        (np.zeros(8), r"\(H, W\) or \(1, H, W\)"),
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN or infinite"),
    ],
)
def test_descriptor_input_errors(image, match):
    with pytest.raises(ValueError, match=match):
        extract_kaze_descriptors(image)


# ---------------------------------------------------------- select_n_words


@pytest.fixture(scope="module")
def four_blobs():
    X, _ = make_blobs(
        n_samples=800, n_features=64, centers=4, cluster_std=1.0,
        center_box=(-10, 10), random_state=0,
    )
    return X.astype(np.float32)


def test_select_n_words_finds_true_number_of_clusters(four_blobs):
    candidates = (2, 3, 4, 6, 8)
    best_k, scores = select_n_words(four_blobs, candidates, random_state=0)
    assert best_k == 4
    assert scores.shape == (5,) and scores.dtype == np.float64
    assert np.argmax(scores) == candidates.index(4)
    assert scores[candidates.index(4)] > 0.5
    # reproducible
    again_k, again = select_n_words(four_blobs, candidates, random_state=0)
    assert again_k == best_k
    np.testing.assert_array_equal(scores, again)


def test_select_n_words_subsamples_and_keeps_candidate_order(four_blobs):
    best_k, scores = select_n_words(
        four_blobs, [8, 4, 2], max_descriptors=300, sample_size=100, random_state=1
    )
    assert best_k == 4 and np.argmax(scores) == 1


def test_select_n_words_ties_go_to_larger_k(four_blobs):
    # with a tolerance wider than any score gap every candidate ties
    best_k, _ = select_n_words(four_blobs, (2, 4, 6), tol=2.0, random_state=0)
    assert best_k == 6


@pytest.mark.parametrize(
    "candidates, match",
    [
        ((2, 1000), r"exceed the 800 descriptors"),
        ((1, 4), "integers >= 2"),
        ((4, 4), "must not repeat"),
        ((), "at least one"),
    ],
)
def test_select_n_words_rejects_bad_candidates(four_blobs, candidates, match):
    with pytest.raises(ValueError, match=match):
        select_n_words(four_blobs, candidates)


# ----------------------------------------------------------------- encoder


def test_histograms_are_l1_normalised(images, fitted):
    hist = fitted.transform(images)
    assert hist.shape == (len(images), 8) and hist.dtype == np.float32
    assert (hist >= 0).all()
    np.testing.assert_allclose(hist.sum(axis=1), 1.0, rtol=1e-6)
    # each row is a histogram of counts over that image's descriptors
    for img, row in zip(images[:3], hist[:3]):
        n = extract_kaze_descriptors(img).shape[0]
        np.testing.assert_allclose(row * n, np.round(row * n), atol=1e-4)


def test_fitted_attributes(images, fitted):
    counts = [extract_kaze_descriptors(img).shape[0] for img in images]
    assert fitted.n_words_ == 8
    assert fitted.vocabulary_.shape == (8, 64)
    assert fitted.vocabulary_.dtype == np.float32
    np.testing.assert_allclose(fitted.vocabulary_, fitted.kmeans_.cluster_centers_, rtol=1e-6)
    assert fitted.silhouette_scores_ is None
    assert fitted.n_descriptors_ == sum(counts)
    assert fitted.n_images_without_keypoints_ == 0
    names = fitted.get_feature_names_out()
    assert names.dtype == object
    assert list(names) == [f"bovw{i}" for i in range(8)]


def test_fit_transform_equals_fit_then_transform(images, fitted):
    enc = BOVWEncoder(n_words=8, random_state=0)
    np.testing.assert_array_equal(enc.fit_transform(images), fitted.transform(images))
    np.testing.assert_array_equal(enc.vocabulary_, fitted.vocabulary_)


def test_three_dimensional_input_and_any_value_range(images, fitted):
    expected = fitted.transform(images)
    np.testing.assert_array_equal(fitted.transform(images[:, 0]), expected)
    np.testing.assert_array_equal(fitted.transform(images / 255.0), expected)
    np.testing.assert_array_equal(fitted.transform(images.astype(np.float64)), expected)


def test_zero_keypoint_images_give_zero_rows_and_one_warning(images, fitted):
    X = images[:8].copy()
    X[[1, 4, 6]] = 7.0  # constant images: no keypoints
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist = fitted.transform(X)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert messages == [
        "3 of 8 images had no KAZE keypoints; their BOVW histograms are all zeros."
    ]
    assert not hist[[1, 4, 6]].any()
    np.testing.assert_allclose(hist[[0, 2, 3, 5, 7]].sum(axis=1), 1.0, rtol=1e-6)


def test_no_warning_when_every_image_has_keypoints(images, fitted):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.transform(images)


def test_fit_counts_images_without_keypoints(images):
    X = images[:10].copy()
    X[[0, 9]] = 0.0
    enc = BOVWEncoder(n_words=4, random_state=0).fit(X)
    assert enc.n_images_without_keypoints_ == 2


def test_dict_output(images, fitted):
    X = images[:6]
    before = X.copy()
    enc = clone(fitted).set_params(output="dict").fit(images)
    out = enc.transform(X)
    assert set(out) == {"image", "bovw"}
    assert out["image"].shape == (6, 1, 64, 64) and out["image"].dtype == np.float32
    np.testing.assert_array_equal(out["image"], X)
    assert not np.shares_memory(out["image"], X)
    np.testing.assert_array_equal(out["bovw"], fitted.transform(X))
    # (n, H, W) input: the channel axis is added; uint8 input comes back float32
    out3 = enc.transform(X[:, 0].astype(np.uint8))
    assert out3["image"].shape == (6, 1, 64, 64) and out3["image"].dtype == np.float32
    np.testing.assert_array_equal(X, before)


def test_fit_and_transform_do_not_mutate_input(images):
    X = images[:8].copy()
    X64 = X.astype(np.float64)
    before, before64 = X.copy(), X64.copy()
    enc = BOVWEncoder(n_words=4, random_state=0)
    enc.fit_transform(X)
    enc.transform(X64)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(X64, before64)


def test_invalid_output_is_rejected(images, fitted):
    with pytest.raises(ValueError, match="'output' parameter of BOVWEncoder"):
        BOVWEncoder(output="hist").fit(images)
    enc = pickle.loads(pickle.dumps(fitted)).set_params(output="pandas")
    with pytest.raises(ValueError, match="output must be 'histogram' or 'dict'"):
        enc.transform(images)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((4, 3, 32, 32)), ValueError, r"\(n_images, 1, H, W\)"),
        (np.zeros((4, 32 * 32)), ValueError, r"\(n_images, 1, H, W\)"),
        (np.zeros((0, 1, 32, 32)), ValueError, "no images"),
        ({"image": np.zeros((4, 1, 32, 32))}, TypeError, "got a dict"),
    ],
)
def test_bad_images_are_rejected(X, error, match):
    with pytest.raises(error, match=match):
        BOVWEncoder(n_words=2).fit(X)


def test_nan_image_is_rejected(images):
    X = images[:4].copy()
    X[2, 0, 5, 5] = np.nan
    with pytest.raises(ValueError, match="first at index 2"):
        BOVWEncoder(n_words=2).fit(X)


def test_error_when_no_training_image_has_keypoints():
    X = np.full((5, 1, 32, 32), 3.0, dtype=np.float32)
    with pytest.raises(ValueError, match="None of the 5 training images has a KAZE keypoint"):
        BOVWEncoder(n_words=2).fit(X)


def test_error_when_fewer_descriptors_than_words(images):
    X = images[:2]
    n = sum(extract_kaze_descriptors(img).shape[0] for img in X)
    with pytest.raises(ValueError, match=rf"gave {n}; use a smaller n_words \(at most {n}\)"):
        BOVWEncoder(n_words=500).fit(X)
    with pytest.raises(ValueError, match="n_words_candidates"):
        BOVWEncoder(n_words_candidates=[2, 500]).fit(X)


def test_unfitted_transform_raises(images):
    with pytest.raises(NotFittedError):
        BOVWEncoder().transform(images)
    with pytest.raises(NotFittedError):
        BOVWEncoder().get_feature_names_out()


def test_vocabulary_size_chosen_by_silhouette(images):
    enc = BOVWEncoder(n_words_candidates=[2, 4, 8], random_state=0).fit(images)
    assert enc.n_words_ in (2, 4, 8)
    assert enc.silhouette_scores_.shape == (3,)
    assert np.isfinite(enc.silhouette_scores_).all()
    best = np.max(enc.silhouette_scores_)
    assert enc.n_words_ == max(k for k, s in zip((2, 4, 8), enc.silhouette_scores_) if s == best)
    assert enc.vocabulary_.shape == (enc.n_words_, 64)
    assert enc.transform(images).shape == (len(images), enc.n_words_)


def test_deterministic_with_random_state(images):
    a = BOVWEncoder(n_words=8, max_descriptors=200, random_state=3).fit(images)
    b = BOVWEncoder(n_words=8, max_descriptors=200, random_state=3).fit(images)
    np.testing.assert_array_equal(a.vocabulary_, b.vocabulary_)
    assert a.n_descriptors_ > 200  # the subsample really was a subsample


def test_parallel_extraction_matches_sequential(images, fitted):
    enc = BOVWEncoder(n_words=8, random_state=0, n_jobs=2).fit(images)
    np.testing.assert_array_equal(enc.vocabulary_, fitted.vocabulary_)


def test_verbose_shows_progress_and_summary(images, capsys):
    BOVWEncoder(n_words=4, random_state=0, verbose=1).fit(images[:6])
    captured = capsys.readouterr()
    assert "KAZE descriptors" in captured.err  # tqdm bar
    assert "[BOVWEncoder]" in captured.out and "4 words" in captured.out


# ------------------------------------------------------------------- cache


def test_cache_reads_descriptors_back(images, tmp_path, monkeypatch):
    spy = ExtractionSpy(monkeypatch)
    first = BOVWEncoder(n_words=8, random_state=0, memory=tmp_path).fit(images)
    assert len(spy.calls) == len(images)
    assert len(list(tmp_path.rglob("*.npy"))) == len(images)

    spy.calls.clear()
    second = BOVWEncoder(n_words=8, random_state=0, memory=str(tmp_path)).fit(images)
    assert spy.calls == []
    np.testing.assert_array_equal(first.vocabulary_, second.vocabulary_)
    # a joblib.Memory at the same place and a rescaled copy of the images hit too
    third = BOVWEncoder(n_words=8, random_state=0, memory=joblib.Memory(tmp_path, verbose=0))
    np.testing.assert_array_equal(third.fit_transform(images / 255.0), first.transform(images))
    assert spy.calls == []


def test_cache_separates_kaze_settings(images, tmp_path, monkeypatch):
    spy = ExtractionSpy(monkeypatch)
    BOVWEncoder(n_words=4, memory=tmp_path).fit(images[:5])
    BOVWEncoder(n_words=4, memory=tmp_path, kaze_threshold=0.0005).fit(images[:5])
    assert len(spy.calls) == 10
    BOVWEncoder(n_words=4, memory=joblib.Memory(None)).fit(images[:5])  # no caching
    assert len(spy.calls) == 15


def test_cache_keeps_images_without_keypoints(images, tmp_path):
    X = images[:6].copy()
    X[0] = 1.0
    a = BOVWEncoder(n_words=4, random_state=0, memory=tmp_path).fit(X)
    b = BOVWEncoder(n_words=4, random_state=0, memory=tmp_path).fit(X)
    assert a.n_images_without_keypoints_ == b.n_images_without_keypoints_ == 1
    np.testing.assert_array_equal(a.vocabulary_, b.vocabulary_)


# -------------------------------------------------------------------- leak


def test_cross_validation_never_shows_test_images_to_fit(monkeypatch):
    X = blob_images(30, seed=11)
    y = np.arange(30) % 2
    digests = uint8_digests(X)
    assert len(set(digests)) == len(X)

    spy = ExtractionSpy(monkeypatch)
    seen_by_fit = []  # per fit call: digests of the images it was given
    for name in ("fit", "fit_transform"):
        original = getattr(BOVWEncoder, name)

        def wrapper(self, X, y=None, _original=original):
            seen_by_fit.append(set(uint8_digests(np.asarray(X))))
            spy.phase = len(seen_by_fit)
            try:
                return _original(self, X, y)
            finally:
                spy.phase = None

        monkeypatch.setattr(BOVWEncoder, name, wrapper)

    cv = KFold(n_splits=3)
    pipe = make_pipeline(BOVWEncoder(n_words=6, random_state=0), LogisticRegression())
    result = cross_validate(pipe, X, y, cv=cv, return_estimator=True)

    assert len(seen_by_fit) == 3
    for i, (train, test) in enumerate(cv.split(X)):
        train_d = {digests[j] for j in train}
        test_d = {digests[j] for j in test}
        phase = i + 1
        assert seen_by_fit[i] == train_d
        # descriptors extracted while fitting come from training images only...
        assert spy.digests(phase) == train_d
        assert not spy.digests(phase) & test_d
        # ...and the learned vocabulary is built from exactly their descriptors
        encoder = result["estimator"][i][0]
        assert encoder.n_descriptors_ == sum(
            extract_kaze_descriptors(X[j]).shape[0] for j in train
        )
    # test images were only ever encoded, outside any fit
    all_test = {digests[j] for _, test in cv.split(X) for j in test}
    assert all_test <= spy.digests(None)


# --------------------------------------------------------- sklearn contract


_PARAMS = [
    "kaze_n_octaves", "kaze_threshold", "max_descriptors", "memory", "n_jobs",
    "n_words", "n_words_candidates", "output", "random_state",
    "silhouette_sample_size", "verbose",
]


def test_get_params_and_clone(fitted):
    assert sorted(BOVWEncoder().get_params()) == _PARAMS
    enc = BOVWEncoder(n_words=16, n_words_candidates=(8, 16), output="dict", random_state=2)
    twin = clone(enc)
    assert twin.get_params() == enc.get_params()
    fresh = clone(fitted)
    assert fresh.get_params() == fitted.get_params()
    assert not hasattr(fresh, "vocabulary_")


def test_pickle_round_trip(images, fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(images), fitted.transform(images))


# Images are 4-D, so the estimator declares ``two_d_array=False`` and
# ``parametrize_with_checks`` yields no check at all for it; the checks that
# need no 2-D data are run here directly instead.
_API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimators_unfitted",
]


@pytest.mark.parametrize("check", _API_CHECKS)
def test_sklearn_api_checks(check):
    getattr(estimator_checks, check)("BOVWEncoder", BOVWEncoder())


def test_generic_checks_are_skipped_for_image_input():
    tags = BOVWEncoder().__sklearn_tags__()
    assert tags.input_tags.two_d_array is False
    assert tags.input_tags.three_d_array is True


def test_docstring_examples_run():
    result = doctest.testmod(bovw, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- real speech


def _emodb_images(wav_dir, n_files=12, size=128):
    librosa = pytest.importorskip("librosa")
    cv2 = pytest.importorskip("cv2")
    files = sorted(wav_dir.glob("*.wav"))[::40][:n_files]
    images = []
    for path in files:
        y, sr = librosa.load(path, sr=None)
        power = librosa.feature.melspectrogram(
            y=y, sr=sr, n_fft=2048, hop_length=512, n_mels=128
        )
        db = librosa.power_to_db(power, ref=np.max)
        grey = 255.0 * (db - db.min()) / (db.max() - db.min())
        image = cv2.resize(grey.astype(np.float32), (size, size))[::-1]  # low freq at bottom
        images.append(image)
    return np.stack(images)[:, None], files


def test_real_emodb_spectrograms_have_keypoints(emodb_home):
    X, files = _emodb_images(emodb_home / "emodb" / "wav")
    assert len(files) == 12
    enc = BOVWEncoder(n_words=32, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        hist = enc.fit_transform(X)
    assert enc.n_images_without_keypoints_ == 0
    assert enc.n_descriptors_ >= 12 * 20  # tens to hundreds per image
    assert hist.shape == (12, 32)
    np.testing.assert_allclose(hist.sum(axis=1), 1.0, rtol=1e-6)
    # the vocabulary is used: most words occur somewhere in the corpus
    assert (hist.sum(axis=0) > 0).sum() >= 24
