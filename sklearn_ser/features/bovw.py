"""Bag of visual words (BOVW) over KAZE descriptors of spectrogram images.

Bag of visual words (Seo & Kim 2020): every log-mel image is described by the 64-d
KAZE descriptors of its keypoints; K-means over the *training* descriptors
defines a vocabulary of visual words (its size optionally chosen by the mean
silhouette over candidate sizes); each image then becomes the L1-normalised
histogram of its descriptors' nearest words.

Three public names:

- :func:`extract_kaze_descriptors` -- descriptors of one image;
- :func:`select_n_words` -- vocabulary size by mean silhouette;
- :class:`BOVWEncoder` -- the scikit-learn transformer tying both together.
"""

import functools
import numbers
import os
import warnings

import cv2
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import pairwise_distances_argmin, silhouette_score
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_array, check_is_fitted
from tqdm import tqdm

from ..utils._cache import FeatureCache, digest_item, resolve_cache_location

__all__ = ["BOVWEncoder", "extract_kaze_descriptors", "select_n_words"]

#: Length of a (non-extended) KAZE descriptor.
KAZE_DESCRIPTOR_SIZE = 64

# KAZE settings this module does not expose; they still enter the cache key.
_KAZE_N_OCTAVE_LAYERS = 4
_KAZE_DIFFUSIVITY = "PM_G2"  # OpenCV's default, cv2.KAZE_DIFF_PM_G2
# How an image reaches KAZE; bump if _to_uint8 ever changes.
_KAZE_INPUT = "minmax-uint8-v1"

_SEED_MAX = np.iinfo(np.int32).max


@functools.cache
def _kaze_create():
    """Return OpenCV's KAZE constructor.

    OpenCV 4 has it at ``cv2.KAZE_create``; OpenCV 5 moved it to the contrib
    module, ``cv2.xfeatures2d.KAZE_create``.
    """
    create = getattr(cv2, "KAZE_create", None)
    if create is None:
        create = getattr(getattr(cv2, "xfeatures2d", None), "KAZE_create", None)
    if create is None:
        raise ImportError(
            f"OpenCV {cv2.__version__} has neither cv2.KAZE_create nor "
            "cv2.xfeatures2d.KAZE_create; install opencv-contrib-python-headless."
        )
    return create


def _empty_descriptors():
    return np.empty((0, KAZE_DESCRIPTOR_SIZE), dtype=np.float32)


def _to_uint8(image):
    """Min-max scale one image, ``(H, W)`` or ``(1, H, W)``, to uint8 0..255.

    A constant image becomes all zeros.
    """
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[0] == 1:
        img = img[0]
    if img.ndim != 2:
        raise ValueError(
            f"An image must have shape (H, W) or (1, H, W), got {img.shape}."
        )
    if img.dtype.kind not in "biuf":
        raise ValueError(f"An image must hold real numbers, got dtype {img.dtype}.")
    img = img.astype(np.float64, copy=False)
    lo, hi = img.min(), img.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("An image contains NaN or infinite values.")
    if hi == lo:
        return np.zeros(img.shape, dtype=np.uint8)
    return np.rint((img - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def _detect_and_describe(image_u8, threshold, n_octaves):
    """KAZE keypoints + 64-d descriptors of a uint8 image, ``(n, 64)`` float32."""
    if not image_u8.any():  # the image of a constant input: nothing to find
        return _empty_descriptors()
    kaze = _kaze_create()(
        extended=False,
        upright=False,
        threshold=float(threshold),
        nOctaves=int(n_octaves),
        nOctaveLayers=_KAZE_N_OCTAVE_LAYERS,
    )
    _, descriptors = kaze.detectAndCompute(image_u8, None)
    if descriptors is None or len(descriptors) == 0:
        return _empty_descriptors()
    return np.ascontiguousarray(descriptors, dtype=np.float32)


@validate_params(
    {
        "image": ["array-like"],
        "threshold": [Interval(numbers.Real, 0, None, closed="left")],
        "n_octaves": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def extract_kaze_descriptors(image, *, threshold=0.001, n_octaves=4):
    """KAZE descriptors of one spectrogram image.

    The image is first min-max scaled, on its own, to integers 0..255
    (``uint8``), the input OpenCV's KAZE expects. The descriptors therefore do
    not depend on the image's value range: an image in [0, 1] and the same
    image in [0, 255] give the same descriptors. A constant image scales to all
    zeros and has no keypoints.

    Parameters
    ----------
    image : array-like of shape (H, W) or (1, H, W)
        A grayscale image of real values in any range (NaN and infinity are
        rejected).
    threshold : float, default=0.001
        Detector response threshold (OpenCV's default); lower values accept
        more, weaker keypoints.
    n_octaves : int, default=4
        Number of octaves of the nonlinear scale space (OpenCV's default).

    Returns
    -------
    descriptors : ndarray of shape (n_keypoints, 64), dtype float32
        One row per keypoint; ``(0, 64)`` when the image has none.

    See Also
    --------
    BOVWEncoder : Histograms of visual words built from these descriptors.

    Notes
    -----
    The remaining KAZE settings are OpenCV's defaults: 4 sub-levels per
    octave, Perona-Malik G2 diffusivity, rotation-invariant (not upright),
    64-d (not extended) descriptors.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.bovw import extract_kaze_descriptors
    >>> image = np.zeros((64, 64), dtype=np.float32)
    >>> image[16:48, 16:48] = 1.0  # a bright square
    >>> extract_kaze_descriptors(image).shape[1]
    64
    >>> extract_kaze_descriptors(np.ones((64, 64))).shape
    (0, 64)
    """
    return _detect_and_describe(_to_uint8(image), threshold, n_octaves)


def _check_candidates(candidates, name):
    values = np.asarray(candidates).ravel()
    if values.size == 0:
        raise ValueError(f"{name} must hold at least one vocabulary size.")
    ok = all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 2
        for v in values.tolist()
    )
    if not ok:
        raise ValueError(f"{name} must hold integers >= 2, got {list(values.tolist())}.")
    ints = [int(v) for v in values.tolist()]
    if len(set(ints)) != len(ints):
        raise ValueError(f"{name} must not repeat a size, got {ints}.")
    return ints


@validate_params(
    {
        "descriptors": ["array-like"],
        "candidates": ["array-like"],
        "max_descriptors": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "sample_size": [Interval(numbers.Integral, 3, None, closed="left"), None],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def select_n_words(
    descriptors,
    candidates,
    *,
    max_descriptors=20000,
    sample_size=3000,
    n_init=3,
    tol=0.0,
    random_state=None,
):
    """Choose a vocabulary size by the mean silhouette of K-means clusterings.

    For each candidate size ``k`` the descriptors are clustered with
    :class:`~sklearn.cluster.MiniBatchKMeans` and scored with the mean
    silhouette (:func:`sklearn.metrics.silhouette_score`). The candidate with
    the highest score wins; among candidates whose score is within ``tol`` of
    the best, the **largest** ``k`` wins -- "the largest number of clusters
    that show a high silhouette value" (Seo & Kim 2020, section 3.2).

    Parameters
    ----------
    descriptors : array-like of shape (n_descriptors, n_dims)
        Descriptors to cluster, e.g. stacked KAZE descriptors of training
        images.
    candidates : array-like of int
        Vocabulary sizes to compare, each >= 2 and at most the number of
        descriptors clustered.
    max_descriptors : int or None, default=20000
        Cluster a random subset of at most this many descriptors (``None``:
        all of them). 20000 descriptors give ~150 per word for 128 words.
    sample_size : int or None, default=3000
        The silhouette is the mean over a random subset of this many of the
        clustered descriptors (``None``: all of them; cost and memory grow as
        its square). The *same* subset scores every candidate, so the
        comparison is paired and the distance matrix is computed once.
    n_init : int, default=3
        Initialisations of each MiniBatchKMeans; the best inertia is kept.
    tol : float, default=0.0
        Scores within ``tol`` of the best count as ties, broken towards the
        larger ``k``. With the default only exact ties do.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling and the clusterings.

    Returns
    -------
    best_k : int
        The chosen vocabulary size.
    scores : ndarray of shape (n_candidates,), dtype float64
        Mean silhouette of each candidate, in the order given. NaN when a
        clustering had fewer than two clusters (or as many clusters as points)
        among the scored descriptors.

    See Also
    --------
    BOVWEncoder : Uses this function when ``n_words_candidates`` is set.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn_ser.features.bovw import select_n_words
    >>> X, _ = make_blobs(600, n_features=64, centers=4, random_state=0)
    >>> best_k, scores = select_n_words(X, [2, 4, 8], random_state=0)
    >>> best_k
    4
    """
    X = check_array(descriptors, dtype=[np.float32, np.float64], ensure_min_samples=2)
    ks = _check_candidates(candidates, "candidates")
    rng = check_random_state(random_state)
    if max_descriptors is not None and len(X) > max_descriptors:
        X = X[rng.choice(len(X), max_descriptors, replace=False)]
    too_big = [k for k in ks if k > len(X)]
    if too_big:
        raise ValueError(
            f"Candidate sizes {too_big} exceed the {len(X)} descriptors clustered; "
            f"use candidates of at most {len(X)}."
        )
    n_scored = len(X) if sample_size is None else min(sample_size, len(X))
    sample = X[rng.choice(len(X), n_scored, replace=False)]
    distances = euclidean_distances(sample)

    scores = np.full(len(ks), np.nan)
    for i, k in enumerate(ks):
        kmeans = MiniBatchKMeans(
            n_clusters=k,
            n_init=n_init,
            batch_size=4096,
            random_state=rng.randint(_SEED_MAX),
        ).fit(X)
        labels = kmeans.predict(sample)
        n_labels = np.unique(labels).size
        if 2 <= n_labels <= n_scored - 1:
            scores[i] = silhouette_score(distances, labels, metric="precomputed")

    finite = np.isfinite(scores)
    if not finite.any():
        raise ValueError(
            f"No candidate among {ks} gave a valid silhouette (at least two "
            f"clusters among the {n_scored} scored descriptors); the descriptors "
            "may be (nearly) identical, or sample_size too small."
        )
    best = np.max(scores[finite])
    best_k = max(k for k, s in zip(ks, scores) if np.isfinite(s) and s >= best - tol)
    return best_k, scores


def _image_descriptors(image, threshold, n_octaves, cache):
    """Descriptors of one image, through ``cache`` (keyed by the uint8 image)."""
    image_u8 = _to_uint8(image)
    if cache is None:
        return _detect_and_describe(image_u8, threshold, n_octaves)
    return cache.get_or_compute(
        digest_item(image_u8),
        lambda: _detect_and_describe(image_u8, threshold, n_octaves),
    )


def _check_images(X):
    """Validate images and return them as an (n, H, W) array (a view if possible)."""
    if isinstance(X, dict):
        raise TypeError(
            "X must be an array of images of shape (n_images, 1, H, W) or "
            "(n_images, H, W), got a dict; BOVWEncoder(output='dict') produces "
            "dicts, it does not take them."
        )
    images = np.asarray(X)
    if images.dtype.kind not in "biuf":
        raise ValueError(
            "X must be a numeric array of images of shape (n_images, 1, H, W) or "
            f"(n_images, H, W), got dtype {images.dtype}."
        )
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    elif images.ndim != 3:
        raise ValueError(
            "X must hold single-channel images of shape (n_images, 1, H, W) or "
            f"(n_images, H, W), got shape {images.shape}."
        )
    if images.shape[0] == 0:
        raise ValueError("X holds no images (shape %s)." % (images.shape,))
    if images.dtype.kind == "f":
        bad = ~np.isfinite(images).all(axis=(1, 2))
        if bad.any():
            raise ValueError(
                f"{int(bad.sum())} image(s) contain NaN or infinite values, the "
                f"first at index {int(np.flatnonzero(bad)[0])}."
            )
    return images


class BOVWEncoder(TransformerMixin, BaseEstimator):
    """Bag of visual words over KAZE descriptors of spectrogram images.

    ``fit`` extracts the KAZE descriptors of every training image (see
    :func:`extract_kaze_descriptors`), optionally chooses the vocabulary size
    by mean silhouette (:func:`select_n_words`), and clusters the descriptors
    with K-means; the cluster centres are the visual words. ``transform``
    assigns each descriptor of an image to its nearest word and returns the
    L1-normalised histogram of word counts, one row per image. Only the images
    given to ``fit`` shape the vocabulary, so inside a
    :class:`~sklearn.pipeline.Pipeline` cross-validation never learns from
    test folds.

    Parameters
    ----------
    n_words : int, default=128
        Vocabulary size; the paper's final model uses 128 visual words.
        Ignored when ``n_words_candidates`` is set.
    n_words_candidates : array-like of int or None, default=None
        If set, the vocabulary size is chosen among these by the highest mean
        silhouette, ties going to the larger size (:func:`select_n_words`).
    kaze_threshold : float, default=0.001
        KAZE detector response threshold (OpenCV's default).
    kaze_n_octaves : int, default=4
        Octaves of KAZE's nonlinear scale space (OpenCV's default).
    max_descriptors : int or None, default=20000
        Cluster (and choose the size on) a random subset of at most this many
        training descriptors; ``None`` uses all. A 224x224 log-mel image has
        roughly 100-500 KAZE keypoints, so EmoDB's 535 images give ~130k
        descriptors; 20000 of them still leave ~150 per word at 128 words and
        keep each fit to about a second.
    silhouette_sample_size : int or None, default=3000
        Descriptors on which each candidate's mean silhouette is computed
        (``None``: all the clustered ones; cost grows as its square). Used only
        with ``n_words_candidates``.
    output : {"histogram", "dict"}, default="histogram"
        ``"histogram"``: ``transform`` returns the ``(n_images, n_words_)``
        histograms. ``"dict"``: it returns ``{"image": X, "bovw": histograms}``
        with ``X`` as float32 ``(n_images, 1, H, W)``, the input of
        ``VACNNBOVWClassifier`` (skorch passes dict keys as keyword arguments to
        the module's ``forward``).
    n_jobs : int or None, default=None
        Images whose descriptors are extracted in parallel (joblib); ``None``
        means 1 unless in a :func:`joblib.parallel_config` context, ``-1``
        means all processors. The workers are threads (OpenCV releases the
        GIL; no images are pickled to worker processes) unless a backend is set
        with :func:`joblib.parallel_config`.
    memory : str, path-like, joblib.Memory or None, default=None
        Folder in which each image's descriptors are cached, keyed by the
        image content and the KAZE settings (see
        :class:`~sklearn_ser.utils._cache.FeatureCache`); ``None`` disables
        caching. Re-fitting on the same images (cross-validation folds, grid
        searches) then reads the descriptors back instead of recomputing them.
    random_state : int, RandomState instance or None, default=None
        Seeds the descriptor subsampling, the size selection and K-means.
        Pass an int for reproducible vocabularies.
    verbose : int, default=0
        If positive, show a progress bar over images and print what ``fit``
        learned.

    Attributes
    ----------
    vocabulary_ : ndarray of shape (n_words_, 64), dtype float32
        The visual words (K-means cluster centres).
    kmeans_ : sklearn.cluster.KMeans
        The fitted K-means model the vocabulary comes from.
    n_words_ : int
        Vocabulary size used: ``n_words`` or the one selected.
    silhouette_scores_ : ndarray of shape (n_candidates,) or None
        Mean silhouette of each of ``n_words_candidates``, in the same order;
        ``None`` when ``n_words_candidates`` is ``None``.
    n_descriptors_ : int
        Number of KAZE descriptors found in the training images (before
        subsampling to ``max_descriptors``).
    n_images_without_keypoints_ : int
        Training images in which KAZE found no keypoint.

    See Also
    --------
    extract_kaze_descriptors : The per-image descriptors.
    select_n_words : Vocabulary size by mean silhouette.

    Notes
    -----
    Each image is min-max scaled to 0..255 on its own before KAZE (see
    :func:`extract_kaze_descriptors`), so images in [0, 1] or [0, 255] give
    the same descriptors, and a constant image has none. Images without
    keypoints get all-zero histograms, and ``transform`` emits one
    ``UserWarning`` per call counting them.

    The vocabulary is fitted with full (Lloyd) K-means; the size selection
    uses the faster MiniBatchKMeans to compare candidates. ``set_output``
    applies to the histogram output only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.bovw import BOVWEncoder
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(0, 255, size=(6, 1, 64, 64)).astype(np.float32)
    >>> encoder = BOVWEncoder(n_words=8, random_state=0).fit(X)
    >>> hist = encoder.transform(X)
    >>> hist.shape, hist.dtype
    ((6, 8), dtype('float32'))
    >>> bool(np.allclose(hist.sum(axis=1), 1.0))
    True
    >>> out = encoder.set_params(output="dict").transform(X)
    >>> sorted(out), out["image"].shape
    (['bovw', 'image'], (6, 1, 64, 64))
    """

    _parameter_constraints: dict = {
        "n_words": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_words_candidates": ["array-like", None],
        "kaze_threshold": [Interval(numbers.Real, 0, None, closed="left")],
        "kaze_n_octaves": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_descriptors": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "silhouette_sample_size": [
            Interval(numbers.Integral, 3, None, closed="left"),
            None,
        ],
        "output": [StrOptions({"histogram", "dict"})],
        "n_jobs": [numbers.Integral, None],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_words=128,
        *,
        n_words_candidates=None,
        kaze_threshold=0.001,
        kaze_n_octaves=4,
        max_descriptors=20000,
        silhouette_sample_size=3000,
        output="histogram",
        n_jobs=None,
        memory=None,
        random_state=None,
        verbose=0,
    ):
        self.n_words = n_words
        self.n_words_candidates = n_words_candidates
        self.kaze_threshold = kaze_threshold
        self.kaze_n_octaves = kaze_n_octaves
        self.max_descriptors = max_descriptors
        self.silhouette_sample_size = silhouette_sample_size
        self.output = output
        self.n_jobs = n_jobs
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    # -- descriptors -------------------------------------------------------

    def _cache(self):
        location = resolve_cache_location(self.memory)
        if location is None:
            return None
        params = {
            "threshold": float(self.kaze_threshold),
            "n_octaves": int(self.kaze_n_octaves),
            "n_octave_layers": _KAZE_N_OCTAVE_LAYERS,
            "diffusivity": _KAZE_DIFFUSIVITY,
            "extended": False,
            "upright": False,
            "input": _KAZE_INPUT,
            "opencv": cv2.__version__,
        }
        return FeatureCache(location, "KAZE", params)

    def _extract(self, images):
        """List of ``(n_i, 64)`` float32 descriptor arrays, one per image."""
        cache = self._cache()
        jobs = (
            delayed(_image_descriptors)(
                image, self.kaze_threshold, self.kaze_n_octaves, cache
            )
            for image in images
        )
        # OpenCV releases the GIL while it detects and describes: threads, not processes.
        results = Parallel(n_jobs=self.n_jobs, prefer="threads", return_as="generator")(jobs)
        if self.verbose:
            results = tqdm(
                results, total=len(images), desc="KAZE descriptors", unit="image"
            )
        return list(results)

    # -- fitting -----------------------------------------------------------

    def _fit_vocabulary(self, descriptors):
        n_images = len(descriptors)
        counts = np.array([len(d) for d in descriptors])
        total = int(counts.sum())
        if total == 0:
            raise ValueError(
                f"None of the {n_images} training images has a KAZE keypoint "
                f"(kaze_threshold={self.kaze_threshold}), so no vocabulary can be "
                "learned. Check that the images are not constant, or lower "
                "kaze_threshold."
            )
        rng = check_random_state(self.random_state)
        pool = np.concatenate(descriptors)
        if self.max_descriptors is not None and total > self.max_descriptors:
            pool = pool[rng.choice(total, self.max_descriptors, replace=False)]

        def too_few(k, what):
            return ValueError(
                f"{what} needs at least {k} KAZE descriptors, but the {n_images} "
                f"training images gave {total}"
                + (f" (subsampled to {len(pool)})" if len(pool) < total else "")
                + f"; use a smaller n_words (at most {len(pool)}) or a lower "
                "kaze_threshold to detect more keypoints."
            )

        if self.n_words_candidates is None:
            n_words, scores = int(self.n_words), None
            if n_words > len(pool):
                raise too_few(n_words, f"n_words={n_words}")
        else:
            candidates = _check_candidates(
                self.n_words_candidates, "n_words_candidates"
            )
            if max(candidates) > len(pool):
                raise too_few(
                    max(candidates), f"n_words_candidates={candidates}"
                )
            n_words, scores = select_n_words(
                pool,
                candidates,
                max_descriptors=None,
                sample_size=self.silhouette_sample_size,
                random_state=rng.randint(_SEED_MAX),
            )
        kmeans = KMeans(
            n_clusters=n_words, n_init=1, random_state=rng.randint(_SEED_MAX)
        ).fit(pool)

        self.kmeans_ = kmeans
        self.vocabulary_ = kmeans.cluster_centers_.astype(np.float32)
        self.n_words_ = n_words
        self.silhouette_scores_ = scores
        self.n_descriptors_ = total
        self.n_images_without_keypoints_ = int(np.sum(counts == 0))
        if self.verbose:
            chosen = (
                ""
                if scores is None
                else " (chosen by mean silhouette: "
                + ", ".join(f"{k}: {s:.4f}" for k, s in zip(candidates, scores))
                + ")"
            )
            print(
                f"[BOVWEncoder] {total} descriptors from {n_images} images "
                f"({self.n_images_without_keypoints_} without keypoints); "
                f"{n_words} words fitted on {len(pool)} descriptors{chosen}"
            )
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the visual vocabulary from the KAZE descriptors of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_images, 1, H, W) or (n_images, H, W)
            Training images, values in any range.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : BOVWEncoder
            The fitted encoder.
        """
        images = _check_images(X)
        return self._fit_vocabulary(self._extract(images))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit the vocabulary on ``X`` and encode ``X``, extracting descriptors once.

        Equivalent to ``fit(X).transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_images, 1, H, W) or (n_images, H, W)
            Training images, values in any range.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        X_new : ndarray of shape (n_images, n_words_) or dict
            See :meth:`transform`.
        """
        images = _check_images(X)
        descriptors = self._extract(images)
        self._fit_vocabulary(descriptors)
        return self._encode(images, descriptors)

    # -- encoding ----------------------------------------------------------

    def transform(self, X):
        """Encode images as L1-normalised histograms of visual words.

        Parameters
        ----------
        X : array-like of shape (n_images, 1, H, W) or (n_images, H, W)
            Images, values in any range. Not modified.

        Returns
        -------
        X_new : ndarray of shape (n_images, n_words_), dtype float32, or dict
            With ``output="histogram"``, the histograms (rows sum to 1; all
            zeros for an image without keypoints). With ``output="dict"``,
            ``{"image": ndarray (n_images, 1, H, W) float32, "bovw":
            histograms}``, the image a copy of ``X``.

        Warns
        -----
        UserWarning
            Once per call, if some images had no KAZE keypoints.
        """
        check_is_fitted(self, "vocabulary_")
        images = _check_images(X)
        return self._encode(images, self._extract(images))

    def _encode(self, images, descriptors):
        if self.output not in ("histogram", "dict"):
            raise ValueError(
                "output must be 'histogram' or 'dict', got "
                f"{self.output!r}."
            )
        n_images, n_words = len(descriptors), self.n_words_
        counts = np.array([len(d) for d in descriptors])
        hist = np.zeros((n_images, n_words), dtype=np.float32)
        if counts.sum():
            words = pairwise_distances_argmin(
                np.concatenate(descriptors), self.vocabulary_
            )
            owner = np.repeat(np.arange(n_images), counts)
            flat = np.bincount(owner * n_words + words, minlength=n_images * n_words)
            hist = flat.reshape(n_images, n_words).astype(np.float32)
            has_kp = counts > 0
            hist[has_kp] /= counts[has_kp, None].astype(np.float32)
        n_empty = int(np.sum(counts == 0))
        if n_empty:
            warnings.warn(
                f"{n_empty} of {n_images} images had no KAZE keypoints; their "
                "BOVW histograms are all zeros.",
                UserWarning,
                stacklevel=3,
            )
        if self.output == "dict":
            return {"image": images[:, None].astype(np.float32), "bovw": hist}
        return hist

    def get_feature_names_out(self, input_features=None):
        """Names of the histogram columns: ``bovw0`` ... ``bovw{n_words_-1}``.

        Parameters
        ----------
        input_features : None
            Ignored; images have no feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_words_")
        return np.asarray([f"bovw{i}" for i in range(self.n_words_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
