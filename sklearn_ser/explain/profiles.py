"""Per-emotion frequency activation profiles over a data set (Kim & Kwak 2024, Fig. 24)."""

import numpy as np
from sklearn.utils import Bunch

from ._base import split_pipeline
from .gradcam import grad_cam
from .lime import lime_explanation
from .occlusion import occlusion_sensitivity

__all__ = ["frequency_profile"]


def _lime_maps(estimator, X, target=None, **params):
    return lime_explanation(estimator, X, target, **params).heatmaps


_METHODS = {"gradcam": grad_cam, "occlusion": occlusion_sensitivity, "lime": _lime_maps}


def frequency_profile(estimator, X, y, *, method="gradcam", explain="true", normalize=True,
                      method_params=None):
    """Mean explanation over frequency for each emotion, across a data set.

    Every utterance gets a heat map (``method``); the map is averaged over time (its
    columns) into a profile over frequency, and the profiles are averaged per emotion of
    ``y``. Which frequency bands a model relies on for each emotion can then be compared
    (anger and happiness on higher bands, sadness and neutral on lower ones, in Kim & Kwak 2024).

    Parameters
    ----------
    estimator : fitted network estimator or Pipeline ending in one
        As in :func:`grad_cam`.
    X : array-like of shape (n, C, H, W), dict, or the Pipeline's input
        The data set (e.g. audio files for a Pipeline starting with ``LogMelImage``).
    y : array-like of shape (n,)
        Emotion of each utterance; profiles are grouped by it.
    method : {"gradcam", "occlusion", "lime"} or callable, default="gradcam"
        How each map is computed: :func:`grad_cam`, :func:`occlusion_sensitivity`,
        :func:`lime_explanation` (its ``heatmaps``), or a callable
        ``f(estimator, X, target, **method_params) -> (n, H, W)``.
    explain : {"true", "predicted"}, default="true"
        Explain each utterance's own emotion ``y`` (every label of ``y`` must then be one of
        ``classes_``) or the class the model predicts for it.
    normalize : bool, default=True
        Scale each map by its largest absolute value before averaging, so every utterance
        weighs the same whatever its overall activation.
    method_params : dict or None, default=None
        Keyword arguments of the method (``{"layer": "encoder.va2"}``,
        ``{"size": 8, "stride": 4}``, ``{"n_samples": 200, "random_state": 0}``).

    Returns
    -------
    result : sklearn.utils.Bunch
        - ``profiles``: ndarray (n_labels, H); ``profiles[k, b]`` is the mean activation of
          emotion ``labels[k]`` in image row ``b`` **counted from the bottom** (``b = 0`` is
          the lowest-frequency row), i.e. ordered from low to high frequency;
        - ``labels``: ndarray (n_labels,), the emotions of ``y`` (in ``classes_`` order,
          then any others sorted);
        - ``counts``: ndarray (n_labels,), utterances averaged per emotion;
        - ``method``: the method's name.

    See Also
    --------
    plot_frequency_profile : Draw the profiles.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> from sklearn_ser.explain import frequency_profile
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 32, 32)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 4)
    >>> clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=1, train_split=None,
    ...                       random_state=0).fit(X, y)
    >>> prof = frequency_profile(clf, X, y, method_params={"layer": "encoder.va2"})
    >>> prof.profiles.shape, prof.labels.tolist(), prof.counts.tolist()
    ((2, 32), ['anger', 'sadness'], [4, 4])
    """
    if callable(method):
        compute, name = method, getattr(method, "__name__", "custom")
    elif isinstance(method, str) and method in _METHODS:
        compute, name = _METHODS[method], method
    else:
        raise ValueError(
            f"method must be 'gradcam', 'occlusion', 'lime' or a callable returning (n, H, W) "
            f"maps, got {method!r}."
        )
    if explain not in ("true", "predicted"):
        raise ValueError(f"explain must be 'true' or 'predicted', got {explain!r}.")
    if method_params is not None and not isinstance(method_params, dict):
        raise TypeError(
            f"method_params must be a dict or None, got {type(method_params).__name__}."
        )
    net, Xt = split_pipeline(estimator, X, "frequency_profile")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one emotion per utterance), got shape {y.shape}.")
    classes = np.asarray(net.classes_)
    if explain == "true":
        unknown = sorted(set(y.tolist()) - set(classes.tolist()))
        if unknown:
            raise ValueError(
                f"y holds labels the estimator was not trained on: {unknown}; with "
                f"explain='true' every label must be one of {classes.tolist()}. Use "
                f"explain='predicted' to explain the predicted classes instead."
            )
        target = y
    else:
        target = None
    maps = np.asarray(compute(net, Xt, target, **(method_params or {})), dtype=np.float64)
    if maps.ndim != 3 or maps.shape[0] != y.shape[0]:
        raise ValueError(
            f"The {name} maps have shape {maps.shape}; expected (n_samples={y.shape[0]}, H, W)."
        )
    if normalize:
        scale = np.abs(maps).reshape(len(maps), -1).max(axis=1)
        maps = np.divide(maps, scale[:, None, None], out=np.zeros_like(maps),
                         where=scale[:, None, None] > 0)
    rows = maps.mean(axis=2)[:, ::-1]  # (n, H), lowest frequency first
    present = set(y.tolist())
    labels = [c for c in classes.tolist() if c in present]
    labels += sorted(present - set(labels), key=str)
    profiles = np.stack([rows[y == label].mean(axis=0) for label in labels])
    counts = np.asarray([int(np.sum(y == label)) for label in labels])
    return Bunch(profiles=profiles, labels=np.asarray(labels), counts=counts, method=name)
