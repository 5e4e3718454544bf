"""Figures of the explanations and of the confusion matrix (matplotlib, display-free)."""

import numpy as np

__all__ = ["plot_explanations", "plot_confusion_matrix", "plot_frequency_profile"]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _as_map(value, name):
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 3 and value.shape[0] == 1:
        value = value[0]
    if value.ndim != 2:
        raise ValueError(
            f"{name} must be one 2-D map (H, W) or (1, H, W), got shape {value.shape}."
        )
    return value


def plot_explanations(image, maps, *, duration=None, alpha=0.5, cmap=None, title=None,
                      figsize=None):
    """Draw a spectrogram and its explanations side by side (Kim & Kwak 2024, Figs. 26-29).

    The first panel is the spectrogram; each following panel overlays one map on a gray
    copy of it. Non-negative maps (Grad-CAM) use ``"jet"``; maps with negative values (LIME,
    occlusion) use the diverging ``"RdBu_r"`` centred on zero, so red is evidence for the
    explained class and blue against it.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (1, H, W)
        Log-mel image, low frequencies at the bottom row.
    maps : dict of str to ndarray (H, W) or (1, H, W)
        Panel title to map, e.g. ``{"Grad-CAM": g, "LIME": l.heatmaps[0], "Occlusion": o}``.
    duration : float or None, default=None
        Length of the utterance in seconds, to label the time axis in seconds.
    alpha : float, default=0.5
        Opacity of the overlays.
    cmap : str or None, default=None
        Colour map of every overlay; ``None`` picks per map as above.
    title : str or None, default=None
        Figure title.
    figsize : tuple or None, default=None
        Figure size; ``None`` gives 3.2 inches per panel.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_ser.explain import plot_explanations
    >>> image = np.random.default_rng(0).uniform(0, 255, (32, 48))
    >>> fig = plot_explanations(image, {"Grad-CAM": image / 255, "LIME": image - 128})
    >>> len(fig.axes) >= 3
    True
    """
    image = _as_map(image, "image")
    if not isinstance(maps, dict) or not maps:
        raise ValueError("maps must be a non-empty dict of panel title to heat map.")
    maps = {name: _as_map(m, f"maps[{name!r}]") for name, m in maps.items()}
    for name, m in maps.items():
        if m.shape != image.shape:
            raise ValueError(
                f"maps[{name!r}] has shape {m.shape} but the image {image.shape}; explanations "
                f"are drawn over the image they explain."
            )
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}.")
    plt = _pyplot()
    n_panels = 1 + len(maps)
    fig, axes = plt.subplots(1, n_panels, figsize=figsize or (3.2 * n_panels, 3.0),
                             squeeze=False, constrained_layout=True)
    axes = axes[0]
    height, width = image.shape
    extent = (0, duration if duration is not None else width, 0, height)
    shown = dict(extent=extent, aspect="auto", origin="upper", interpolation="nearest")
    axes[0].imshow(image, cmap="magma", **shown)
    axes[0].set_title("Spectrogram")
    for ax, (name, heat) in zip(axes[1:], maps.items()):
        ax.imshow(image, cmap="gray", **shown)
        if cmap is None and heat.min() < 0:
            limit = float(np.abs(heat).max()) or 1.0
            overlay = ax.imshow(heat, cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=alpha,
                                **shown)
        else:
            overlay = ax.imshow(heat, cmap=cmap or "jet", alpha=alpha, **shown)
        fig.colorbar(overlay, ax=ax, shrink=0.8)
        ax.set_title(name)
    for ax in axes:
        ax.set_xlabel("time (s)" if duration is not None else "time (column)")
    axes[0].set_ylabel("mel band (row from the bottom)")
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_confusion_matrix(report_or_matrix, labels=None, *, normalize=None, ax=None,
                          cmap="Blues", values_format=None, colorbar=True):
    """Draw a confusion matrix, from an :class:`~sklearn_ser.metrics.EmotionReport` or counts.

    Parameters
    ----------
    report_or_matrix : EmotionReport or array-like of shape (n_classes, n_classes)
        A report (its ``confusion_matrix`` and ``labels`` are used) or a matrix with true
        emotions in rows and predicted ones in columns.
    labels : sequence of str or None, default=None
        Names of the classes; default: the report's labels, or ``0 .. n_classes - 1``.
    normalize : {None, "true", "pred", "all"}, default=None
        Show counts, or divide by the row sums (recall per emotion), the column sums
        (precision) or the total. Empty rows or columns show 0.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; a new figure when ``None``.
    cmap : str, default="Blues"
    values_format : str or None, default=None
        Format of the cell texts; ``"d"`` for counts and ``".2f"`` when normalised.
    colorbar : bool, default=True

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ser.metrics import emotion_report
    >>> from sklearn_ser.explain import plot_confusion_matrix
    >>> report = emotion_report(["anger", "anger", "sadness"], ["anger", "sadness", "sadness"])
    >>> ax = plot_confusion_matrix(report, normalize="true")
    >>> [t.get_text() for t in ax.texts]
    ['0.50', '0.50', '0.00', '1.00']
    """
    if hasattr(report_or_matrix, "confusion_matrix") and hasattr(report_or_matrix, "labels"):
        matrix = np.asarray(report_or_matrix.confusion_matrix, dtype=np.float64)
        default_labels = [str(v) for v in np.asarray(report_or_matrix.labels).tolist()]
    else:
        matrix = np.asarray(report_or_matrix, dtype=np.float64)
        default_labels = None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(
            f"The confusion matrix must be square and non-empty, got shape {matrix.shape}."
        )
    n = matrix.shape[0]
    if labels is None:
        labels = default_labels or [str(i) for i in range(n)]
    labels = [str(v) for v in labels]
    if len(labels) != n:
        raise ValueError(f"labels has {len(labels)} names for a {n}x{n} confusion matrix.")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}.")
    if normalize is not None:
        total = {"true": matrix.sum(axis=1, keepdims=True),
                 "pred": matrix.sum(axis=0, keepdims=True),
                 "all": matrix.sum()}[normalize]
        matrix = np.divide(matrix, total, out=np.zeros_like(matrix), where=total != 0)
    fmt = values_format or ("d" if normalize is None else ".2f")
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(1.0 + 0.7 * n, 0.6 + 0.6 * n), constrained_layout=True)
    image = ax.imshow(matrix, cmap=cmap, interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    middle = (matrix.max() + matrix.min()) / 2.0
    for i in range(n):
        for j in range(n):
            value = int(round(matrix[i, j])) if fmt == "d" else matrix[i, j]
            ax.text(j, i, format(value, fmt), ha="center", va="center",
                    color="white" if matrix[i, j] > middle else "black")
    ax.set_xticks(range(n), labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("Predicted emotion")
    ax.set_ylabel("True emotion")
    return ax


def plot_frequency_profile(profile, labels=None, *, fmin=0.0, fmax=None, ax=None):
    """Draw per-emotion frequency activation profiles (Kim & Kwak 2024, Fig. 24).

    Parameters
    ----------
    profile : Bunch from :func:`frequency_profile`, or ndarray of shape (n_labels, H)
        Profiles ordered from low to high frequency.
    labels : sequence or None, default=None
        Names of the rows; default: the Bunch's ``labels``, or ``0 .. n_labels - 1``.
    fmin, fmax : float, default=0.0, None
        Frequency range of the mel filter bank behind the image; with ``fmax`` the x axis is
        in Hz, placing row ``b`` (from the bottom) at the mel-scale centre
        ``mel(fmin) + (b + 0.5) / H * (mel(fmax) - mel(fmin))`` (librosa's Slaney mel scale).
        Without it the axis counts rows.
    ax : matplotlib.axes.Axes or None, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_ser.explain import plot_frequency_profile
    >>> ax = plot_frequency_profile(np.random.rand(2, 64), ["anger", "sadness"], fmax=8000)
    >>> len(ax.lines)
    2
    """
    if hasattr(profile, "profiles"):
        values = np.asarray(profile.profiles, dtype=np.float64)
        default_labels = list(np.asarray(profile.labels).tolist())
    else:
        values = np.asarray(profile, dtype=np.float64)
        default_labels = None
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError(f"profile must be (n_labels, H), got shape {values.shape}.")
    labels = list(labels) if labels is not None else (
        default_labels or list(range(values.shape[0])))
    if len(labels) != values.shape[0]:
        raise ValueError(f"labels has {len(labels)} names for {values.shape[0]} profiles.")
    height = values.shape[1]
    if fmax is not None:
        import librosa

        if not 0 <= fmin < fmax:
            raise ValueError(f"Need 0 <= fmin < fmax, got fmin={fmin}, fmax={fmax}.")
        low, high = librosa.hz_to_mel(fmin), librosa.hz_to_mel(fmax)
        x = librosa.mel_to_hz(low + (np.arange(height) + 0.5) / height * (high - low))
        xlabel = "frequency (Hz)"
    else:
        x = np.arange(height)
        xlabel = "mel band (image row from the bottom)"
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(6.0, 3.5), constrained_layout=True)
    for row, label in zip(values, labels):
        ax.plot(x, row, label=str(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean activation")
    ax.legend()
    return ax
