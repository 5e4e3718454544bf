"""Per-item feature extraction shared by the audio front ends.

Front ends (:class:`~sklearn_ser.features.LogMelImage` and later ones) turn
each input item (a file path or a 1-D waveform) into one array. This module
does the parts they have in common: normalising ``X`` to a list of items,
checking the content-addressed cache in the calling process, computing only
the misses in parallel with joblib, storing them atomically, showing a tqdm
progress bar when ``verbose`` is set, and deciding what a bad item does to
the batch (``on_error``).

Bad items within a batch
------------------------
With ``on_error="raise"`` (the default) the first unreadable item stops the
batch with its own error (:class:`~sklearn_ser.exceptions.AudioLoadError` or
:class:`FileNotFoundError`, naming the file or ``X[i]``). With ``"skip"`` or
``"warn"``, an item whose reading or computation raises one of
:data:`~sklearn_ser.audio.ITEM_ERRORS` is recorded as a
:class:`~sklearn_ser.exceptions.FailedItem` and the batch goes on; ``"warn"``
also emits one :class:`~sklearn_ser.exceptions.FailedItemsWarning` with the
count and the names. Any other exception (a bug, a bad parameter, a full disk
while writing the cache) still raises. Failures are never cached: a file fixed in place is
read again on the next call.

A transformer must return one row per input, or ``y`` goes out of step, so
the front ends keep the row of a failed item and fill it (see their
``fill_value``); removing items is done on the corpus, where every per-item
array can be cut together (:func:`sklearn_ser.datasets.drop_unreadable`).
"""

import contextlib
import os
import time

import numpy as np
from joblib import Parallel, delayed
from joblib.parallel import get_active_backend
from tqdm.auto import tqdm

from ..audio import ITEM_ERRORS, check_waveform, load_audio, pad_to_length
from ..exceptions import FailedItem, FailedItemsWarning
from ..utils import FeatureCache, digest_item, resolve_cache_location
from ..utils._warnings import warn_from_caller

#: Accepted values of ``on_error``.
ON_ERROR_OPTIONS = ("raise", "skip", "warn")

# How many failed item names a warning lists before "and N more".
_N_NAMES_SHOWN = 5

# Computed rows of a batch go to the cache as one pack once this many are waiting, or
# once the oldest has waited this many seconds: few files per run, and a run killed
# midway loses at most the last few seconds of work.
_PACK_MAX_ITEMS = 256
_PACK_MAX_SECONDS = 5.0

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


def item_source(item, index):
    """How an item is named in messages: its path, or ``"X[index]"`` for a waveform.

    Examples
    --------
    >>> item_source("a.wav", 0), item_source(np.zeros(3), 4)
    ('a.wav', 'X[4]')
    """
    return item if isinstance(item, str) else f"X[{index}]"


def check_on_error(on_error):
    """Raise a ``ValueError`` naming the valid choices unless ``on_error`` is one of them."""
    if not (isinstance(on_error, str) and on_error in ON_ERROR_OPTIONS):
        raise ValueError(
            f"on_error must be one of {', '.join(map(repr, ON_ERROR_OPTIONS))}; got "
            f"{on_error!r}. Use 'raise' to stop at the first unreadable item, 'skip' or "
            "'warn' to record it and go on."
        )
    return on_error


def describe_failures(failures, n_items, *, producer, failed_as):
    """One message giving the count, the first names and the first reason.

    Parameters
    ----------
    failures : list of FailedItem
    n_items : int
        Size of the batch.
    producer : str
        Who reports, e.g. ``"LogMelImage"``.
    failed_as : str
        What became of the failed items, e.g. ``"filled with 0.0"``.

    Returns
    -------
    message : str

    Examples
    --------
    >>> from sklearn_ser.exceptions import FailedItem
    >>> print(describe_failures([FailedItem(1, "b.wav", "AudioLoadError: empty")], 3,
    ...                         producer="Demo", failed_as="dropped"))
    Demo: 1 of 3 items could not be read and were dropped: b.wav. First error: AudioLoadError: empty
    """
    names = [f.source for f in failures]
    shown = ", ".join(names[:_N_NAMES_SHOWN])
    if len(names) > _N_NAMES_SHOWN:
        shown += f" and {len(names) - _N_NAMES_SHOWN} more"
    return (
        f"{producer}: {len(failures)} of {n_items} items could not be read and were "
        f"{failed_as}: {shown}. First error: {failures[0].error}"
    )


def warn_failures(message, failures):
    """Emit a :class:`FailedItemsWarning` pointing at the first caller outside the toolkit."""
    warn_from_caller(FailedItemsWarning(message, failures))


def _compute_one(compute, item, index, cache, key, catch=False, out_row=None):
    try:
        out = compute(item, index) if out_row is None else compute(item, index, out=out_row)
    except ITEM_ERRORS as exc:
        if not catch:
            raise
        return FailedItem(index, item_source(item, index), f"{type(exc).__name__}: {exc}")
    if cache is not None and key is not None:
        cache.put(key, out)
    return out


class _Packer:
    """Collects computed outputs and stores them in packs (``FeatureCache.put_many``)."""

    def __init__(self, cache, keys, outputs):
        self.cache, self.keys, self.outputs = cache, keys, outputs
        self.pending, self.since = [], None

    def add(self, index):
        if self.since is None:
            self.since = time.monotonic()
        self.pending.append(index)
        if (len(self.pending) >= _PACK_MAX_ITEMS
                or time.monotonic() - self.since >= _PACK_MAX_SECONDS):
            self.flush()

    def flush(self):
        done = [i for i in self.pending if self.keys[i] is not None
                and isinstance(self.outputs[i], np.ndarray)]  # not failed items
        self.pending, self.since = [], None
        if done:
            self.cache.put_many([self.keys[i] for i in done], [self.outputs[i] for i in done])


def extract_per_item(items, compute, *, namespace, cache_params, memory=None,
                     n_jobs=None, verbose=0, desc=None, on_error="raise",
                     return_failures=False, failed_as="left as None", out=None,
                     prefer="processes"):
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
    on_error : {"raise", "skip", "warn"}, default="raise"
        What an item raising one of :data:`~sklearn_ser.audio.ITEM_ERRORS`
        does: ``"raise"`` stops the batch with that error; ``"skip"`` records
        it and leaves ``None`` at its position in ``outputs``; ``"warn"`` does
        the same and emits one :class:`~sklearn_ser.exceptions.FailedItemsWarning`
        (count, names, first error). See the module notes.
    return_failures : bool, default=False
        Also return the list of failures.
    failed_as : str, default="left as None"
        What the caller does with failed items, as said in the warning (a
        front end that fills them passes e.g. ``"filled with 0.0"``).
    out : ndarray of shape (n_items, ...), optional
        Preallocated batch: cache hits are read straight into ``out[i]``
        (:meth:`~sklearn_ser.utils.FeatureCache.get_into`) and returned as that
        view, saving an allocation and a copy per hit. Misses computed where
        ``out`` is shared (sequentially, or by thread workers) are computed
        into it too: ``compute`` is then called as ``compute(item, index,
        out=out[i])`` and must fill ``out[i]`` and return it. Misses computed
        in other processes (``parallel_config(backend="loky")``, dask) are
        returned as computed, and the caller copies them into ``out``.
        With ``out`` the outputs all have one shape, and this process stores
        the computed ones in packs (:meth:`~sklearn_ser.utils.FeatureCache.put_many`)
        of up to 256 items or 5 seconds of work, stored also when the batch
        stops on an error; without it each output is stored as its own entry
        by whoever computed it.
    prefer : {"processes", "threads"}, default="processes"
        joblib's soft hint for the workers computing the misses when no
        backend is set with :func:`joblib.parallel_config` (a dask backend set
        there wins). ``"threads"`` suits a ``compute`` that spends its time in
        code that releases the GIL (FFT, BLAS, OpenCV, file reads) and is
        thread-safe: no worker processes to start, nothing pickled.

    Returns
    -------
    outputs : list of ndarray, in the order of ``items``
        ``None`` where an item failed (only with ``on_error`` ``"skip"`` or
        ``"warn"``).
    failures : list of FailedItem
        Only with ``return_failures=True``: the failed items in index order
        (empty with ``on_error="raise"``, which raises instead).

    Examples
    --------
    >>> def peak(item, index):
    ...     return np.array([np.abs(read_item(item, index, sr=16000, min_samples=None)).max()])
    >>> X = [np.full(4, 0.5), np.array([0.0, np.nan]), np.full(4, -0.25)]
    >>> out, failed = extract_per_item(X, peak, namespace="Peak", cache_params={},
    ...                                on_error="skip", return_failures=True)
    >>> out[0], out[1], failed[0].source
    (array([0.5], dtype=float32), None, 'X[1]')
    """
    check_on_error(on_error)
    catch = on_error != "raise"
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
            try:
                keys[i] = digest_item(item)
            except OSError:  # unreadable file: let the loader raise its clear error
                todo.append(i)
                continue
            if out is not None:
                outputs[i] = out[i] if cache.get_into(keys[i], out[i]) else None
            else:
                outputs[i] = cache.get(keys[i])
            if outputs[i] is None:
                todo.append(i)
    else:
        todo = list(range(len(items)))
    if cache is not None and todo:
        cache.remove_stale_temporaries()  # left by a run killed mid-write

    bar = tqdm(total=len(todo), desc=desc or namespace, disable=not verbose or not todo,
               unit="file")
    sequential = n_jobs in (None, 1) or len(todo) <= 1
    # Workers write their results straight into ``out`` only when they share its memory.
    into = out is not None and (sequential or getattr(
        get_active_backend(prefer=prefer)[0], "supports_sharedmem", False))
    packer = _Packer(cache, keys, outputs) if cache is not None and out is not None else None
    item_cache = None if packer is not None else cache  # who stores: this process or each job
    try:
        if sequential:
            results = (_compute_one(compute, items[i], i, item_cache, keys[i], catch,
                                    out[i] if into else None)
                       for i in todo)
        else:
            jobs = (delayed(_compute_one)(compute, items[i], i, item_cache, keys[i], catch,
                                          out[i] if into else None)
                    for i in todo)
            results = Parallel(n_jobs=n_jobs, prefer=prefer, return_as="generator")(jobs)
        for i, result in zip(todo, results):
            outputs[i] = result
            if packer is not None:
                packer.add(i)
            bar.update()
        if packer is not None:
            packer.flush()
    finally:
        bar.close()
        if packer is not None and packer.pending:  # stopped by an error: keep what was done
            with contextlib.suppress(Exception):
                packer.flush()
    failures = []
    if catch:
        failures = [result for result in outputs if isinstance(result, FailedItem)]
        for failure in failures:
            outputs[failure.index] = None
        if failures and on_error == "warn":
            warn_failures(
                describe_failures(failures, len(items), producer=namespace,
                                  failed_as=failed_as),
                failures,
            )
    return (outputs, failures) if return_failures else outputs
