"""Per-item feature extraction shared by the audio front ends.

Front ends (:class:`~sklearn_ser.features.LogMelImage` and later ones) turn
each input item (a file path or a 1-D waveform) into one array. This module
does the parts they have in common: normalising ``X`` to a list of items,
checking the content-addressed cache in the calling process, computing only
the misses in parallel with joblib, storing them atomically, and showing a
tqdm progress bar when ``verbose`` is set.
"""

import os

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from ..audio import check_waveform, load_audio, pad_to_length
from ..utils import FeatureCache, digest_item, resolve_cache_location


def as_items(X):
    """Return ``X`` as a list of items: path strings or 1-D waveforms.

    Accepts a sequence (list, tuple, 1-D object/str array) of paths and/or
    1-D arrays, or a 2-D numeric array whose rows are waveforms.
    """
    if isinstance(X, (str, os.PathLike)):
        raise TypeError(
            "X must be a sequence of audio files or waveforms, got a single path; "
            "wrap it in a list: [path]."
        )
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            "Sparse input is not supported: X must hold audio file paths or dense waveforms."
        )
    if not isinstance(X, (list, tuple, np.ndarray)) and hasattr(X, "__array__"):
        X = np.asarray(X)
    if isinstance(X, np.ndarray) and X.dtype.kind in "fiubc":
        if X.ndim == 1:
            raise ValueError(
                f"X is a 1-D numeric array of shape {X.shape}. Reshape your data: pass a list "
                "of waveforms (or a 2-D array with one waveform per row), e.g. [y]."
            )
        if X.ndim != 2:
            raise ValueError(
                f"A numeric X must be 2-D (one waveform per row), got shape {X.shape}."
            )
    try:
        items = list(X)
    except TypeError:
        raise TypeError(
            f"X must be a sequence of audio file paths or 1-D waveforms, got {type(X).__name__}."
        ) from None
    if len(items) == 0:
        raise ValueError("X is empty (0 samples): pass at least one audio file or waveform.")
    return [os.fspath(it) if isinstance(it, os.PathLike) else it for it in items]


def check_items(items):
    """Validate the in-memory waveforms among ``items`` (files are checked when read)."""
    for i, item in enumerate(items):
        if not isinstance(item, str):
            check_waveform(item, source=f"X[{i}]")


def read_item(item, index, sr, min_samples):
    """Load one item to a padded float32 waveform at ``sr``.

    Files go through :func:`~sklearn_ser.audio.load_audio`; arrays through
    :func:`~sklearn_ser.audio.check_waveform` (named ``X[index]`` in errors)
    and are assumed to be sampled at ``sr`` already.
    """
    if isinstance(item, str):
        y, _ = load_audio(item, sr=sr, min_samples=min_samples)
        return y
    y = check_waveform(item, source=f"X[{index}]")
    return pad_to_length(y, min_samples) if min_samples else y


def _compute_one(compute, item, index, cache, key):
    out = compute(item, index)
    if cache is not None:
        cache.put(key, out)
    return out


def extract_per_item(items, compute, *, namespace, cache_params, memory=None,
                     n_jobs=None, verbose=0, desc=None):
    """Apply ``compute(item, index)`` to every item, with cache and parallelism.

    Parameters
    ----------
    items : list
        Output of :func:`as_items`.
    compute : callable
        Picklable ``compute(item, index) -> ndarray``.
    namespace, cache_params : str, dict
        Name the cache folder (see :class:`~sklearn_ser.utils.FeatureCache`).
    memory : None, path or joblib.Memory
        Cache location; ``None`` disables caching.
    n_jobs : int or None
        joblib workers for the cache misses.
    verbose : int
        Show a progress bar when > 0.
    desc : str, optional
        Progress bar label.

    Returns
    -------
    outputs : list of ndarray, in the order of ``items``
    """
    location = resolve_cache_location(memory)
    cache = None if location is None else FeatureCache(location, namespace, cache_params)
    outputs = [None] * len(items)
    keys = [None] * len(items)
    todo = []
    if cache is not None:
        for i, item in enumerate(items):
            if isinstance(item, str) and not os.path.exists(item):
                todo.append(i)  # let the loader raise its clear FileNotFoundError
                continue
            keys[i] = digest_item(item)
            outputs[i] = cache.get(keys[i])
            if outputs[i] is None:
                todo.append(i)
    else:
        todo = list(range(len(items)))

    bar = tqdm(total=len(todo), desc=desc or namespace, disable=not verbose or not todo,
               unit="file")
    try:
        if n_jobs in (None, 1) or len(todo) <= 1:
            for i in todo:
                outputs[i] = _compute_one(compute, items[i], i, cache, keys[i])
                bar.update()
        else:
            jobs = (delayed(_compute_one)(compute, items[i], i, cache, keys[i]) for i in todo)
            results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
            for i, out in zip(todo, results):
                outputs[i] = out
                bar.update()
    finally:
        bar.close()
    return outputs
