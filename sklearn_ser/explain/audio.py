"""From a heat map back to sound: keep the parts of the utterance a map activates."""

import os
from numbers import Real

import numpy as np
from sklearn.utils import Bunch

from ..audio import check_waveform, load_audio
from ._base import check_positive_int

__all__ = ["gradcam_to_audio", "time_profile"]


def time_profile(heatmap, smooth=5):
    """Sum a heat map over frequency and smooth it with a centred moving average.

    Parameters
    ----------
    heatmap : ndarray of shape (H, W)
        Rows are frequency, columns time.
    smooth : int, default=5
        Moving-average window in columns; 1 leaves the profile as is. Column ``j`` becomes
        the mean of columns ``j - (smooth - 1) // 2`` to ``j + smooth // 2``, over the columns
        that exist (windows are shortened at the edges rather than padded).

    Returns
    -------
    profile : ndarray of shape (W,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.explain import time_profile
    >>> time_profile(np.array([[0., 3., 0., 3.], [0., 0., 0., 3.]]), smooth=1)
    array([0., 3., 0., 6.])
    >>> time_profile(np.array([[0., 3., 0., 3.], [0., 0., 0., 3.]]), smooth=3)
    array([1.5, 1. , 3. , 3. ])
    """
    heatmap = np.asarray(heatmap, dtype=np.float64)
    if heatmap.ndim != 2:
        raise ValueError(
            f"heatmap must be 2-D (frequency rows, time columns), got shape {heatmap.shape}."
        )
    smooth = check_positive_int(smooth, "smooth")
    profile = heatmap.sum(axis=0)
    if smooth == 1:
        return profile
    before, after = (smooth - 1) // 2, smooth // 2
    cumulative = np.concatenate([[0.0], np.cumsum(profile)])
    columns = np.arange(profile.shape[0])
    lo = np.clip(columns - before, 0, profile.shape[0])
    hi = np.clip(columns + after + 1, 0, profile.shape[0])
    return (cumulative[hi] - cumulative[lo]) / (hi - lo)


def _column_edges(n_columns, n_samples, hop_length):
    """Sample boundaries ``edges[j] .. edges[j + 1]`` of each column."""
    j = np.arange(n_columns + 1)
    if hop_length is None:
        edges = np.round(j * n_samples / n_columns)
    else:
        edges = j * hop_length - hop_length // 2
        edges[0] = 0
    return np.clip(edges, 0, n_samples).astype(np.int64)


def gradcam_to_audio(heatmap, audio, sr=None, *, smooth=5, threshold="mean", hop_length=None,
                     mode="concatenate", out=None):
    """Keep the part of an utterance that a heat map activates, as audio.

    The rule (Kim & Kwak 2024's "Grad-CAM to audio"), step by step:

    1. **time profile**: sum the map over frequency (its rows) and smooth it with a centred
       moving average of ``smooth`` columns (:func:`time_profile`);
    2. **threshold**: keep column ``j`` when ``profile[j] > t``, where ``t`` is the
       profile's mean for ``threshold="mean"`` (the above-average part of a Grad-CAM map,
       which is non-negative everywhere), its median for ``"median"``, or the number given
       (``threshold=0`` keeps the positive part of a signed LIME or occlusion map);
    3. **columns to samples**: without ``hop_length`` the image's time axis spans the whole
       waveform, as in :class:`~sklearn_ser.features.LogMelImage` images (which are resized
       from the full spectrogram): column ``j`` of ``W`` covers samples
       ``round(j * N / W)`` to ``round((j + 1) * N / W)`` (end excluded) of the ``N``
       samples. With ``hop_length`` the columns are the frames of an unresized centred STFT
       (``librosa``'s default): column ``j`` covers ``j * hop - hop // 2`` to
       ``(j + 1) * hop - hop // 2``, clipped to the waveform;
    4. runs of kept columns become intervals; their samples are concatenated (or, with
       ``mode="mask"``, everything else is set to zero) and written to ``out``.

    Parameters
    ----------
    heatmap : ndarray of shape (H, W) or (1, H, W)
        One utterance's map (Grad-CAM, LIME or occlusion), frequency rows, time columns.
    audio : str, os.PathLike or ndarray of shape (n_samples,)
        The utterance: an audio file (read with :func:`~sklearn_ser.audio.load_audio`) or a
        mono waveform.
    sr : int or None, default=None
        Sampling rate. Required for a waveform; for a file, ``None`` keeps the file's rate
        and a number resamples to it.
    smooth : int, default=5
        Moving-average window of the time profile, in columns (1: no smoothing).
    threshold : {"mean", "median"} or float, default="mean"
        Columns whose smoothed profile is strictly above this are kept (see step 2).
    hop_length : int or None, default=None
        Samples between columns when the map comes from an unresized spectrogram.
    mode : {"concatenate", "mask"}, default="concatenate"
        Return the kept intervals joined end to end, or the whole waveform with the
        discarded samples set to zero (same length, aligned with the original).
    out : str, os.PathLike or None, default=None
        Write the result there with :mod:`soundfile` (format from the extension, e.g.
        ``.wav``). Nothing is written when ``None``.

    Returns
    -------
    result : sklearn.utils.Bunch
        - ``waveform``: ndarray, float32, the kept audio;
        - ``intervals``: ndarray (k, 2), start and end (exclusive) of each kept interval, in
          seconds;
        - ``sr``: int, the sampling rate;
        - ``profile``: ndarray (W,), the smoothed time profile;
        - ``keep``: ndarray (W,) of bool, the kept columns;
        - ``threshold``: float, the threshold applied;
        - ``path``: ``out`` (or ``None``).

    See Also
    --------
    grad_cam, time_profile

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.explain import gradcam_to_audio
    >>> heatmap = np.zeros((4, 10))
    >>> heatmap[:, 2:5] = 1.0                   # columns 2, 3, 4 are activated
    >>> y = np.ones(1000, dtype="float32")      # 1 s at 1 kHz: 100 samples per column
    >>> res = gradcam_to_audio(heatmap, y, sr=1000, smooth=1, threshold=0)
    >>> res.intervals
    array([[0.2, 0.5]])
    >>> res.waveform.shape
    (300,)
    """
    heatmap = np.asarray(heatmap, dtype=np.float64)
    if heatmap.ndim == 3 and heatmap.shape[0] == 1:
        heatmap = heatmap[0]
    if heatmap.ndim != 2:
        raise ValueError(
            f"heatmap must be one map of shape (H, W), got shape {heatmap.shape}; for the maps "
            f"of several images pass heatmaps[i]."
        )
    if not np.isfinite(heatmap).all():
        raise ValueError("heatmap holds NaN or infinite values.")
    if mode not in ("concatenate", "mask"):
        raise ValueError(f"mode must be 'concatenate' or 'mask', got {mode!r}.")
    if hop_length is not None:
        hop_length = check_positive_int(hop_length, "hop_length")
    if sr is not None:
        sr = check_positive_int(sr, "sr")
    if isinstance(audio, (str, os.PathLike)):
        y, sr = load_audio(audio, sr=sr)
    else:
        if sr is None:
            raise ValueError("sr is required when audio is a waveform: pass its sampling rate.")
        y = check_waveform(audio)
    n_samples, n_columns = y.shape[0], heatmap.shape[1]

    profile = time_profile(heatmap, smooth)
    if isinstance(threshold, str) and threshold in ("mean", "median"):
        value = float(np.mean(profile) if threshold == "mean" else np.median(profile))
    elif (isinstance(threshold, Real) and not isinstance(threshold, bool)
          and np.isfinite(threshold)):
        value = float(threshold)
    else:
        raise ValueError(
            f"threshold must be 'mean', 'median' or a finite number, got {threshold!r}."
        )
    keep = profile > value

    edges = _column_edges(n_columns, n_samples, hop_length)
    if hop_length is not None and edges[-2] >= n_samples:
        raise ValueError(
            f"The map has {n_columns} columns but with hop_length={hop_length} the "
            f"{n_samples}-sample waveform has only about {1 + n_samples // hop_length} frames; "
            f"check hop_length, or leave it None for images resized to span the utterance."
        )
    padded = np.concatenate([[False], keep, [False]])
    change = np.flatnonzero(padded[1:] != padded[:-1])
    runs = change.reshape(-1, 2)  # [first kept column, first column after the run)
    bounds = np.stack([edges[runs[:, 0]], edges[runs[:, 1]]], axis=1) if len(runs) else \
        np.zeros((0, 2), dtype=np.int64)
    bounds = bounds[bounds[:, 1] > bounds[:, 0]]
    if mode == "concatenate":
        parts = [y[a:b] for a, b in bounds]
        waveform = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    else:
        mask = np.zeros(n_samples, dtype=bool)
        for a, b in bounds:
            mask[a:b] = True
        waveform = np.where(mask, y, 0.0)
    waveform = waveform.astype(np.float32, copy=False)
    if out is not None:
        import soundfile as sf

        sf.write(os.fspath(out), waveform, sr)
    return Bunch(
        waveform=waveform, intervals=bounds.astype(np.float64) / sr, sr=int(sr),
        profile=profile, keep=keep, threshold=value, path=out,
    )
