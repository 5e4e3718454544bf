"""LIME for spectrograms: a weighted linear surrogate over time-frequency regions.

Written from the method's description (Ribeiro et al., 2016), without the ``lime`` package:

1. segment the image into ``k`` regions (time-frequency tiles by default, or SLIC
   superpixels);
2. draw ``n_samples`` binary vectors ``z`` in ``{0, 1}^k`` (1 = region kept); the first is
   all ones (the image itself). For the others the number of hidden regions is drawn
   uniformly from ``1..k`` and that many regions are picked at random;
3. classify each perturbed image (hidden regions replaced by ``fill``), batched;
4. weigh each sample by an exponential kernel ``exp(-d(z, 1)^2 / kernel_width^2)`` of its
   cosine (or Hamming) distance to the unperturbed vector;
5. fit :class:`sklearn.linear_model.Ridge` from ``z`` to the target probability with those
   weights; its coefficients are the regions' weights, painted back onto the region map.
"""

from numbers import Real

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.utils import Bunch, check_random_state

from ._base import check_fill, check_pair, check_positive_int, fill_image, prepare

__all__ = ["lime_explanation", "tile_segments", "slic_segments"]

_DISTANCES = ("cosine", "hamming")


def tile_segments(height, width, tiles=(8, 8)):
    """Label map of a grid of time-frequency tiles.

    Parameters
    ----------
    height, width : int
        Image size.
    tiles : int or pair (frequency bands, time segments), default=(8, 8)
        Number of tiles along the rows (frequency) and along the columns (time). Tile edges
        are ``round(i * height / n)``, so tiles differ by at most one pixel.

    Returns
    -------
    labels : ndarray of shape (height, width), int
        Tile ``b * tiles[1] + s`` covers frequency band ``b`` (``b = 0`` is the top, highest-
        frequency band of a log-mel image) and time segment ``s`` (``s = 0`` first).

    Examples
    --------
    >>> from sklearn_ser.explain import tile_segments
    >>> tile_segments(4, 6, tiles=(2, 3))
    array([[0, 0, 1, 1, 2, 2],
           [0, 0, 1, 1, 2, 2],
           [3, 3, 4, 4, 5, 5],
           [3, 3, 4, 4, 5, 5]])
    """
    height = check_positive_int(height, "height")
    width = check_positive_int(width, "width")
    bands, segments = check_pair(tiles, "tiles", limits=(height, width))
    row = np.searchsorted(np.round(np.linspace(0, height, bands + 1))[1:-1],
                          np.arange(height), side="right")
    col = np.searchsorted(np.round(np.linspace(0, width, segments + 1))[1:-1],
                          np.arange(width), side="right")
    return row[:, None] * segments + col[None, :]


def slic_segments(image, n_segments=50, compactness=10.0, n_iter=10):
    """SLIC superpixels of a spectrogram image (OpenCV's SLICO).

    Parameters
    ----------
    image : ndarray of shape (H, W) or (C, H, W)
        The image (channels are averaged); min-max scaled to 8 bits before segmenting.
    n_segments : int, default=50
        Approximate number of superpixels (the region side is ``sqrt(H * W / n_segments)``).
    compactness : float, default=10.0
        OpenCV's ``ruler``; unused by SLICO, which adapts it per superpixel.
    n_iter : int, default=10
        SLIC iterations.

    Returns
    -------
    labels : ndarray of shape (H, W), int
        Superpixel labels ``0 .. k - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.explain import slic_segments
    >>> image = np.random.default_rng(0).uniform(0, 255, (32, 32))
    >>> labels = slic_segments(image, n_segments=16)
    >>> labels.shape, int(labels.min())
    ((32, 32), 0)
    """
    import cv2

    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3:
        image = image.mean(axis=0)
    if image.ndim != 2:
        raise ValueError(f"image must be (H, W) or (C, H, W), got shape {image.shape}.")
    n_segments = check_positive_int(n_segments, "n_segments")
    low, high = image.min(), image.max()
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    image8 = np.ascontiguousarray(np.round(scaled * 255).astype(np.uint8))
    region = max(2, int(round(np.sqrt(image.size / n_segments))))
    slic = cv2.ximgproc.createSuperpixelSLIC(
        image8, algorithm=cv2.ximgproc.SLICO, region_size=region, ruler=float(compactness))
    slic.iterate(int(n_iter))
    slic.enforceLabelConnectivity()
    labels = slic.getLabels()
    return np.unique(labels, return_inverse=True)[1].reshape(labels.shape)


def _segment(image, segmentation, tiles, n_segments, where):
    height, width = image.shape[1:]
    if isinstance(segmentation, str):
        if segmentation == "tiles":
            return tile_segments(height, width, tiles)
        return slic_segments(image, n_segments=n_segments)
    if callable(segmentation):
        labels = np.asarray(segmentation(image))
    else:
        labels = np.asarray(segmentation)
        if labels.ndim == 3:
            labels = labels[where]
    if labels.shape != (height, width) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"segmentation must give an integer label map of shape {(height, width)} per "
            f"image, got {labels.dtype} of shape {labels.shape}."
        )
    return np.unique(labels, return_inverse=True)[1].reshape(labels.shape)


def _samples(n_regions, n_samples, rng):
    """Binary design matrix: first row all ones, then random subsets of hidden regions."""
    z = np.ones((n_samples, n_regions), dtype=np.float64)
    hidden_counts = rng.randint(1, n_regions + 1, size=n_samples - 1)
    for row, n_hidden in enumerate(hidden_counts, start=1):
        z[row, rng.choice(n_regions, n_hidden, replace=False)] = 0.0
    return z


def _distances(z, metric):
    n_regions = z.shape[1]
    kept = z.sum(axis=1)
    if metric == "hamming":
        return (n_regions - kept) / n_regions
    # cosine distance to the all-ones vector; an all-hidden sample is at distance 1
    return 1.0 - np.sqrt(kept / n_regions)


def lime_explanation(estimator, X, target=None, *, segmentation="tiles", tiles=(8, 8),
                     n_segments=50, n_samples=500, fill="mean", distance="cosine",
                     kernel_width=0.25, alpha=1.0, batch_size=64, random_state=None):
    """LIME explanations of spectrogram images: region weights of a local linear surrogate.

    Parameters
    ----------
    estimator : fitted network estimator or Pipeline ending in one
        As in :func:`grad_cam`.
    X : array-like of shape (n, C, H, W), dict, or the Pipeline's input
        Images, or a dict whose ``"image"`` entry is perturbed.
    target : None, label, int or sequence, default=None
        Class whose probability the surrogate fits; ``None`` is each image's predicted class.
    segmentation : {"tiles", "slic"}, callable or ndarray, default="tiles"
        Regions: a grid of ``tiles`` time-frequency tiles (:func:`tile_segments`), SLIC
        superpixels (:func:`slic_segments`, ``n_segments``), a callable
        ``f(image (C, H, W)) -> (H, W) int labels``, or label maps ``(H, W)`` / ``(n, H, W)``.
    tiles : int or pair (frequency bands, time segments), default=(8, 8)
        Grid of ``segmentation="tiles"``.
    n_segments : int, default=50
        Approximate number of superpixels of ``segmentation="slic"``.
    n_samples : int, default=500
        Perturbed images per explained image, the unperturbed one included (at least 2).
    fill : {"mean", "zero", "noise"} or float, default="mean"
        What hidden regions become (see :func:`occlusion_sensitivity`).
    distance : {"cosine", "hamming"}, default="cosine"
        Distance between a perturbation vector and the all-ones vector, fed to the kernel.
    kernel_width : float, default=0.25
        Width of the exponential kernel ``exp(-d^2 / kernel_width^2)``.
    alpha : float, default=1.0
        L2 penalty of the :class:`~sklearn.linear_model.Ridge` surrogate.
    batch_size : int, default=64
        Perturbed images per forward pass.
    random_state : int, RandomState or None, default=None
        Seed of the perturbations (and of ``fill="noise"``); an int makes results
        reproducible.

    Returns
    -------
    result : sklearn.utils.Bunch
        - ``heatmaps``: ndarray (n, H, W), float32, each pixel carries its region's weight;
        - ``weights``: list of n arrays (n_regions_i,), the surrogate's coefficients (change
          of the target probability when the region is present);
        - ``segments``: ndarray (n, H, W) of int, the region label maps;
        - ``intercepts``: ndarray (n,), the surrogate's intercepts;
        - ``scores``: ndarray (n,), weighted R² of each surrogate on its samples;
        - ``targets``: ndarray (n,), the explained class labels.

    See Also
    --------
    grad_cam, occlusion_sensitivity

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> from sklearn_ser.explain import lime_explanation
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 32, 32)).astype("float32")
    >>> clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=1, train_split=None,
    ...                       random_state=0).fit(X, ["anger", "sadness"] * 4)
    >>> res = lime_explanation(clf, X[:1], tiles=(4, 4), n_samples=64, random_state=0)
    >>> res.heatmaps.shape, res.weights[0].shape, res.segments.shape
    ((1, 32, 32), (16,), (1, 32, 32))
    """
    fill = check_fill(fill)
    n_samples = check_positive_int(n_samples, "n_samples")
    if n_samples < 2:
        raise ValueError(
            f"n_samples must be at least 2 (the image and a perturbation), got {n_samples}."
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    if distance not in _DISTANCES:
        raise ValueError(f"distance must be 'cosine' or 'hamming', got {distance!r}.")
    for name, value in (("kernel_width", kernel_width), ("alpha", alpha)):
        if not isinstance(value, Real) or isinstance(value, bool) or not value > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}.")
    if isinstance(segmentation, str) and segmentation not in ("tiles", "slic"):
        raise ValueError(
            f"segmentation must be 'tiles', 'slic', a callable or label maps, got "
            f"{segmentation!r}."
        )
    prepared = prepare(estimator, X, "lime_explanation")
    height, width = prepared.image_shape
    if isinstance(segmentation, str) and segmentation == "tiles":
        check_pair(tiles, "tiles", limits=(height, width))
    targets = prepared.target_indices(target)
    rng = check_random_state(random_state)

    heatmaps = np.zeros((prepared.n_samples, height, width), dtype=np.float32)
    segments = np.zeros((prepared.n_samples, height, width), dtype=np.intp)
    weights, intercepts, scores, explained = [], [], [], []
    for i in range(prepared.n_samples):
        image = prepared.images[i]
        labels = _segment(image, segmentation, tiles, n_segments, i)
        n_regions = int(labels.max()) + 1
        z = _samples(n_regions, n_samples, rng)
        filled = fill_image(image, fill, rng)
        proba = []
        for start in range(0, n_samples, batch_size):
            hidden = z[start:start + batch_size][:, labels] == 0  # (b, H, W)
            batch = np.where(hidden[:, None], filled[None], image[None])
            proba.append(prepared.predict_proba(batch, np.full(len(batch), i), batch_size))
        proba = np.concatenate(proba)
        t = int(proba[0].argmax()) if targets is None else int(targets[i])
        kernel = np.exp(-(_distances(z, distance) ** 2) / kernel_width ** 2)
        surrogate = Ridge(alpha=alpha).fit(z, proba[:, t], sample_weight=kernel)
        coef = surrogate.coef_.astype(np.float64)
        heatmaps[i] = coef[labels]
        segments[i] = labels
        weights.append(coef)
        intercepts.append(float(surrogate.intercept_))
        scores.append(float(surrogate.score(z, proba[:, t], sample_weight=kernel)))
        explained.append(t)
    return Bunch(
        heatmaps=heatmaps, weights=weights, segments=segments,
        intercepts=np.asarray(intercepts), scores=np.asarray(scores),
        targets=prepared.classes[np.asarray(explained, dtype=np.intp)],
    )
