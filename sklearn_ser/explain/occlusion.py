"""Occlusion sensitivity: how much the class probability drops when a patch is hidden."""

import numpy as np
from sklearn.utils import check_random_state

from ._base import check_fill, check_pair, check_positive_int, fill_image, prepare

__all__ = ["occlusion_sensitivity"]


def _starts(length, size, stride):
    """Window starts along one axis: every ``stride``, plus the last full window."""
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return np.asarray(starts)


def occlusion_sensitivity(estimator, X, target=None, *, size=None, stride=None, fill="mean",
                          batch_size=64, random_state=None):
    """Occlusion-sensitivity maps: the drop in the target probability when a patch is masked.

    A ``size`` window slides over each image with step ``stride`` (the last window of each
    row and column is aligned with the image's edge, so every pixel is covered). For each
    position the window is filled (``fill``) and the image is classified again; the map holds
    at each pixel the mean, over the windows covering it, of::

        drop = p(target | image) - p(target | image with the window filled)

    All windows of an image go through the network in batches of ``batch_size``, so one
    image costs ``ceil(n_positions / batch_size)`` forward passes (the unoccluded images go
    through once, in batches, beforehand).

    Parameters
    ----------
    estimator : fitted network estimator or Pipeline ending in one
        As in :func:`grad_cam`; any skorch classifier works (no gradients are needed).
    X : array-like of shape (n, C, H, W), dict, or the Pipeline's input
        Images, or a dict whose ``"image"`` entry is occluded.
    target : None, label, int or sequence, default=None
        Class whose probability is tracked; ``None`` is each image's predicted class.
    size : int, pair (rows, columns) or None, default=None
        Window size in pixels; ``None`` is an eighth of the image each way (28x28 at 224x224).
    stride : int, pair or None, default=None
        Step between windows; ``None`` is half the window (overlapping windows).
    fill : {"mean", "zero", "noise"} or float, default="mean"
        What a window is filled with: the image's mean pixel, 0 (silence in a log-mel image),
        Gaussian noise with the image's mean and standard deviation (clipped to its range,
        one noise image per input, drawn from ``random_state``), or a constant.
    batch_size : int, default=64
        Occluded images per forward pass.
    random_state : int, RandomState or None, default=None
        Seed of the noise of ``fill="noise"``.

    Returns
    -------
    heatmaps : ndarray of shape (n, H, W), float32
        Signed maps: positive where hiding the region lowers the target probability
        (evidence for the class), negative where it raises it.

    See Also
    --------
    grad_cam, lime_explanation

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> from sklearn_ser.explain import occlusion_sensitivity
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 32, 32)).astype("float32")
    >>> clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=1, train_split=None,
    ...                       random_state=0).fit(X, ["anger", "sadness"] * 4)
    >>> maps = occlusion_sensitivity(clf, X[:2], size=8, stride=4)
    >>> maps.shape, bool(np.isfinite(maps).all())
    ((2, 32, 32), True)
    """
    fill = check_fill(fill)
    batch_size = check_positive_int(batch_size, "batch_size")
    prepared = prepare(estimator, X, "occlusion_sensitivity")
    targets = prepared.target_indices(target)
    height, width = prepared.image_shape
    if size is None:
        size = (max(1, height // 8), max(1, width // 8))
    size = check_pair(size, "size", limits=(height, width))
    if stride is None:
        stride = (max(1, size[0] // 2), max(1, size[1] // 2))
    stride = check_pair(stride, "stride")
    rng = check_random_state(random_state)

    rows, cols = _starts(height, size[0], stride[0]), _starts(width, size[1], stride[1])
    corners = [(r, c) for r in rows for c in cols]
    maps = np.zeros((prepared.n_samples, height, width), dtype=np.float64)
    covered = np.zeros((height, width), dtype=np.float64)
    for r, c in corners:
        covered[r:r + size[0], c:c + size[1]] += 1.0

    index = np.arange(prepared.n_samples)
    original = prepared.predict_proba(prepared.images, index, batch_size)
    chosen = original.argmax(axis=1) if targets is None else targets
    for i in range(prepared.n_samples):
        image = prepared.images[i]
        filled = fill_image(image, fill, rng)
        t = int(chosen[i])
        for start in range(0, len(corners), batch_size):
            chunk = corners[start:start + batch_size]
            batch = np.repeat(image[np.newaxis], len(chunk), axis=0)
            for k, (r, c) in enumerate(chunk):
                window = (slice(None), slice(r, r + size[0]), slice(c, c + size[1]))
                batch[k][window] = filled[window]
            proba = prepared.predict_proba(batch, np.full(len(chunk), i), batch_size)
            for drop, (r, c) in zip(original[i, t] - proba[:, t], chunk):
                maps[i, r:r + size[0], c:c + size[1]] += drop
    return (maps / covered).astype(np.float32)
