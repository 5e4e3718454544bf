"""Looking at learned embeddings: how tight the classes are, and a PCA scatter plot."""

import numpy as np
from sklearn.decomposition import PCA

__all__ = ["plot_embedding_pca", "within_class_spread"]


def within_class_spread(embeddings, y, *, normalize=True):
    """Mean squared distance of the embeddings to their class mean.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    normalize : bool, default=True
        Divide by the mean squared distance to the overall mean, giving the
        fraction of the total scatter that lies within classes (in
        ``[0, 1]``; independent of the embeddings' scale). ``False`` returns
        the raw mean squared distance.

    Returns
    -------
    spread : float

    Examples
    --------
    >>> E = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    >>> within_class_spread(E, [0, 0, 1, 1], normalize=False)
    1.0
    >>> round(within_class_spread(E, [0, 0, 1, 1]), 4)
    0.0385
    """
    E = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(y)
    if E.ndim != 2 or E.shape[0] != y.shape[0]:
        raise ValueError(
            f"embeddings must be (n_samples, n_features) with one row per label; got shapes "
            f"{E.shape} and {y.shape}."
        )
    within = 0.0
    for label in np.unique(y):
        rows = E[y == label]
        within += float(((rows - rows.mean(axis=0)) ** 2).sum())
    within /= E.shape[0]
    if not normalize:
        return within
    total = float(((E - E.mean(axis=0)) ** 2).sum()) / E.shape[0]
    return within / total if total > 0 else 0.0


def plot_embedding_pca(embeddings, y, *, classes=None, title=None, ax=None, point_size=12.0,
                       alpha=0.7):
    """Scatter plot of embeddings projected on their first two principal components.

    figure 4 of Dai et al. 2019: the FC1 features of one cross-validation fold
    without and with center loss, side by side; pass a dict to get one panel
    per model.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features), or dict
        Embeddings (:meth:`CRNNClassifier.embed`), or a dict mapping a panel
        title to embeddings of the same utterances. Each panel fits its own
        PCA.
    y : array-like of shape (n_samples,)
        Label of every row (colours).
    classes : sequence, optional
        Labels to draw, in legend order; default: the sorted labels of ``y``.
    title : str, optional
        Figure title (the panel title for a single array).
    ax : matplotlib Axes, optional
        Draw a single array into this axes instead of a new figure.
    point_size : float, default=12.0
    alpha : float, default=0.7

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["anger", "sadness"], 10)
    >>> E = rng.normal(size=(20, 5)) + (y == "anger")[:, None] * 3
    >>> fig = plot_embedding_pca({"lambda=0": E, "lambda=0.3": E / 2}, y)
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    panels = embeddings if isinstance(embeddings, dict) else {title: embeddings}
    if not panels:
        raise ValueError("embeddings is an empty dict: give at least one panel.")
    y = np.asarray(y)
    labels = np.unique(y) if classes is None else np.asarray(classes)
    arrays = {}
    for name, E in panels.items():
        E = np.asarray(E, dtype=np.float64)
        if E.ndim != 2 or E.shape[0] != y.shape[0] or E.shape[1] < 2:
            raise ValueError(
                f"embeddings{'' if name is None else f'[{name!r}]'} must be (n_samples, "
                f"n_features >= 2) with one row per label; got shape {E.shape} for "
                f"{y.shape[0]} labels."
            )
        arrays[name] = E
    if ax is not None and len(arrays) != 1:
        raise ValueError("ax draws a single panel; pass one array, or ax=None for a dict.")
    if ax is None:
        fig, axes = plt.subplots(1, len(arrays), figsize=(4.0 * len(arrays), 3.8),
                                 constrained_layout=True, squeeze=False)
        axes = list(axes[0])
    else:
        fig, axes = ax.figure, [ax]
    colours = plt.get_cmap("tab10")
    for axis, (name, E) in zip(axes, arrays.items()):
        P = PCA(n_components=2).fit_transform(E)
        for k, label in enumerate(labels):
            rows = y == label
            axis.scatter(P[rows, 0], P[rows, 1], s=point_size, alpha=alpha,
                         color=colours(k % 10), label=str(label))
        axis.set_xlabel("PC 1")
        axis.set_ylabel("PC 2")
        if name is not None:
            axis.set_title(str(name))
    axes[-1].legend(loc="best", fontsize="small", markerscale=1.5)
    if title is not None and isinstance(embeddings, dict):
        fig.suptitle(title)
    return fig
