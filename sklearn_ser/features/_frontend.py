"""The base class of the audio front ends.

A front end turns each audio item (a file path or a 1-D waveform) into one
array. What differs between front ends is how one item is computed; everything
else lives here, once: the execution parameters (``n_jobs``, ``memory``,
``verbose``, ``on_error``, ``fill_value``), parameter validation, the cache key,
batching, and the report of items that could not be read.

A subclass declares its computation parameters in ``__init__`` and
``_parameter_constraints``, and implements

- ``_compute(item, index, **params)`` (a static method, so that process
  workers can pickle it): the output of one item, from :meth:`_item_params`;
- ``_fill_shape(params)``: the shape of the row given to an item that failed;

and may override ``_check_params`` (checks across parameters),
``_output_shape`` (a fixed output shape: the batch is then one preallocated
array instead of a 1-D object array), ``_compute_kwargs`` (extra read-only
arguments of ``_compute``, such as prebuilt filter banks), and, for a front
end whose cached per-item arrays are reduced afterwards (pooled embeddings),
``_item_params``, ``_cache_params`` and ``_assemble``.

The cache key
-------------
The key of an item is its content digest within a namespace named after the
class and a digest of :meth:`_cache_params`: :meth:`get_params` minus the
execution parameters (they change how the work is done, never its result),
each value normalised by its declared type (an ``int`` given for a ``Real``
parameter keys as the ``float``), plus the class's ``_cache_version`` (bumped
when the computation changes) and the librosa version (its filter banks and
windows enter every result).
"""

import os
from functools import partial
from numbers import Integral, Real

import librosa
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._extract import ON_ERROR_OPTIONS, as_items, check_items, extract_per_item

__all__ = ["AudioFrontEnd", "EXECUTION_PARAMS"]

#: Parameters that change how a front end runs, never what it returns.
EXECUTION_PARAMS = ("n_jobs", "memory", "verbose", "on_error", "fill_value")


def _normalise(value, constraints):
    """``value`` as the type its constraints declare, so that equal settings key alike."""
    if value is None or isinstance(value, (bool, np.bool_, str)):
        return value if not isinstance(value, np.bool_) else bool(value)
    if isinstance(value, (tuple, list)):
        return tuple(int(v) if isinstance(v, Integral) else v for v in value)
    for constraint in constraints:
        if isinstance(constraint, Interval):
            if constraint.type is Integral and isinstance(value, Integral):
                return int(value)
            if constraint.type is Real and isinstance(value, Real):
                return float(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    return value


class AudioFrontEnd(TransformerMixin, BaseEstimator):
    """Base class of the audio front ends: audio items in, one array per item out.

    Not used directly; see :class:`~sklearn_ser.features.LogMelImage`,
    :class:`~sklearn_ser.features.LogMelSpectrogram`,
    :class:`~sklearn_ser.features.LogSTFTSpectrogram` and
    :class:`~sklearn_ser.features.SegmentedLogMel`. The module notes say what a
    subclass provides.

    Parameters (shared by every front end)
    --------------------------------------
    n_jobs : int or None
        joblib workers computing the items that are not in the cache.
    memory : None, str or joblib.Memory
        Folder of the on-disk feature cache, content-addressed and
        parameter-aware; ``None`` disables caching.
    verbose : int
        Progress bar while computing when > 0.
    on_error : {"raise", "skip", "warn"}
        What an unreadable item does to a batch: ``"raise"`` stops it with the
        item's error; ``"skip"`` keeps its row, filled with ``fill_value``,
        and records it in ``failed_items_``; ``"warn"`` also emits one
        :class:`~sklearn_ser.exceptions.FailedItemsWarning`.
    fill_value : float
        Value of every element of a row filled in for a failed item.

    Attributes
    ----------
    failed_items_ : list of FailedItem
        The items of the last ``transform`` call that could not be read.
    """

    _parameter_constraints = {
        "n_jobs": [Integral, None],
        "memory": [str, os.PathLike, HasMethods(["cache"]), None],
        "verbose": ["verbose"],
        "on_error": [StrOptions(set(ON_ERROR_OPTIONS))],
        "fill_value": [Real],
    }

    #: Bump when the computation changes, so cached outputs are recomputed.
    _cache_version = 1
    #: Progress bar label.
    _desc = "features"
    #: joblib's hint for the workers: "threads" where the per-item work releases the GIL.
    _prefer = "processes"

    # -- what a subclass provides ----------------------------------------------------------

    @staticmethod
    def _compute(item, index, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fill_shape(self, params):  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_params(self):
        """Checks across parameters; raise ``ValueError`` saying what to change."""

    def _output_shape(self, params):
        """Shape of every item's output when it is fixed, else ``None``."""
        return None

    def _compute_kwargs(self, params):
        """Extra keyword arguments of ``_compute`` besides the item parameters."""
        return {}

    # -- shared machinery ------------------------------------------------------------------

    def _item_params(self):
        """The computation parameters, normalised by their declared types."""
        constraints = self._parameter_constraints
        return {name: _normalise(value, constraints.get(name, ()))
                for name, value in self.get_params(deep=False).items()
                if name not in EXECUTION_PARAMS}

    def _cache_params(self, params):
        return dict(params, version=self._cache_version, librosa=librosa.__version__)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : sequence of str / path-like / 1-D arrays, or 2-D array
            Audio files, or waveforms at ``sr`` (one per row of a 2-D array).
        y : ignored

        Returns
        -------
        self

        Notes
        -----
        With ``on_error="raise"`` a bad in-memory waveform raises here; with
        ``"skip"`` or ``"warn"`` it is left for ``transform`` to record.
        """
        self._check_params()
        items = as_items(X)
        if self.on_error == "raise":
            check_items(items)
        self.failed_items_ = []
        return self

    def transform(self, X):
        """Compute the output of every item of ``X``.

        Parameters
        ----------
        X : sequence of str / path-like / 1-D arrays, or 2-D array
            Audio files, or waveforms at ``sr``.

        Returns
        -------
        Xt : ndarray
            One row per item (see the class's own documentation for its
            shape). Rows of items that could not be read hold ``fill_value``
            (``on_error="skip"`` or ``"warn"``).

        Raises
        ------
        FileNotFoundError, AudioLoadError
            With ``on_error="raise"``, for a missing, empty, corrupt,
            zero-length or non-finite input; the message names the file (or
            ``X[i]``).

        Warns
        -----
        FailedItemsWarning
            With ``on_error="warn"``, once per call that met unreadable items.
        """
        self._validate_params()
        self._check_params()
        params = self._item_params()
        items = as_items(X)
        shape = self._output_shape(params)
        # Fixed-shape outputs: cache hits, and items computed in this process, land
        # straight in their row of one preallocated batch.
        batch = None if shape is None else np.empty((len(items),) + shape, dtype=np.float32)
        outputs, failures = extract_per_item(
            items,
            partial(type(self)._compute, **self._compute_kwargs(params), **params),
            namespace=type(self).__name__,
            cache_params=self._cache_params(params),
            memory=self.memory,
            n_jobs=self.n_jobs,
            prefer=self._prefer,
            verbose=self.verbose,
            desc=self._desc,
            on_error=self.on_error,
            return_failures=True,
            failed_as=f"filled with {self.fill_value!r}",
            out=batch,
        )
        self.failed_items_ = failures
        return self._assemble(outputs, batch, params)

    def _assemble(self, outputs, batch, params):
        """The batch from the per-item outputs (``None`` where an item failed)."""
        if self.failed_items_:
            filler = np.full(self._fill_shape(params), self.fill_value, dtype=np.float32)
            outputs = [filler if out is None else out for out in outputs]
        if batch is None:
            return _pack([np.asarray(out, dtype=np.float32) for out in outputs])
        for i, out in enumerate(outputs):
            if out.base is not batch:  # computed elsewhere (or filled), not read into place
                batch[i] = out
        return batch

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _pack(arrays):
    """A 1-D object ndarray holding ``arrays`` (never stacked, whatever their shapes)."""
    out = np.empty(len(arrays), dtype=object)
    for i, arr in enumerate(arrays):
        out[i] = arr
    return out
