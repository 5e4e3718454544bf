"""Gaussian data selection (GDS): drop the segments that do not resemble their utterance.

Kim & Kwak 2024, Algorithm 1. For an utterance ``i`` cut into segments
``S_i1 .. S_iD`` (see :mod:`sklearn_ser.features.segments`):

1. ``mu_ij = mean(S_ij)``, ``sigma_ij = std(S_ij)`` over all the segment's values;
2. ``G_ij`` = the Gaussian density ``N(x; mu_ij, sigma_ij)`` evaluated on one
   grid ``x`` common to the utterance's segments;
3. ``R_i`` = the D x D matrix of Pearson correlation coefficients between the
   curves ``G_i1 .. G_iD``; ``C_ij`` = sum of row ``j`` of ``R_i``;
4. ``Score_ij = (C_ij - min_j C_ij) / (max_j C_ij - min_j C_ij)``;
5. keep the segments with ``Score_ij > T``.

A segment whose level distribution differs from most of its utterance's
(silence, a burst of noise, a clipped tail) correlates poorly with the others
and gets a low score.

Choices the paper leaves open (parameters, documented here):

- **grid**: ``n_grid`` points evenly spaced over
  ``[min_j(mu_ij - k sigma_ij), max_j(mu_ij + k sigma_ij)]`` with
  ``k = grid_sigmas``; every curve is then sampled over its whole bulk.
  Standard deviations are floored at one grid step, so a constant segment
  (e.g. pure padding) is a narrow peak instead of an undefined delta.
- **degenerate utterances**: one segment, or scores that are all equal
  (two segments always are: both rows of a 2 x 2 correlation matrix sum to
  ``1 + r``; identical segments too) → every segment gets score 1 and is kept.
  Otherwise the best segment has score 1 > T and is always kept, and the
  worst has score 0 and is dropped for any ``T >= 0``.
- **T**: not given in the paper (which removed 15 % of its segments); the
  default here is the value that drops about 15 % of the training segments
  of EmoDB with the default :class:`~sklearn_ser.features.segments.SegmentedLogMel`
  (see :class:`GaussianDataSelector`).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .segments import check_segments, pack_segments

__all__ = ["GaussianDataSelector", "gds_scores"]

#: Default threshold: drops ~15 % of EmoDB's segments with SegmentedLogMel's defaults
#: (measured with benchmarks/gds.py, see GaussianDataSelector's Notes).
DEFAULT_THRESHOLD = 0.4


def gds_scores(segments, *, n_grid=256, grid_sigmas=4.0):
    """GDS scores of one utterance's segments (Kim & Kwak 2024, Algorithm 1).

    Parameters
    ----------
    segments : ndarray of shape (n_segments, ...)
        The segments of one utterance (any trailing shape, e.g. ``(1, 96, 64)``).
    n_grid : int, default=256
        Points of the common grid the Gaussian densities are evaluated on.
    grid_sigmas : float, default=4.0
        The grid spans ``grid_sigmas`` standard deviations beyond the lowest
        and highest segment means.

    Returns
    -------
    scores : ndarray of shape (n_segments,), float64
        Min-max normalised row sums of the correlation matrix, in ``[0, 1]``;
        all ones for a single segment or when every row sum is equal.

    Examples
    --------
    Three segments of one level distribution and one louder outlier:

    >>> rng = np.random.default_rng(0)
    >>> segs = rng.normal(0.0, 1.0, size=(4, 1, 96, 64))
    >>> segs[2] = rng.normal(3.0, 0.3, size=(1, 96, 64))
    >>> scores = gds_scores(segs)
    >>> int(np.argmin(scores)), float(scores.max())
    (2, 1.0)
    """
    values = np.asarray(segments, dtype=np.float64)
    n_segments = values.shape[0]
    if n_segments == 0:
        raise ValueError("gds_scores needs at least one segment.")
    if n_segments == 1:
        return np.ones(1)
    values = values.reshape(n_segments, -1)
    mu = values.mean(axis=1)
    sigma = values.std(axis=1)
    low = float(np.min(mu - grid_sigmas * sigma))
    high = float(np.max(mu + grid_sigmas * sigma))
    if not high > low:  # every segment constant, at the same value
        return np.ones(n_segments)
    grid = np.linspace(low, high, int(n_grid))
    sigma = np.maximum(sigma, grid[1] - grid[0])
    z = (grid[np.newaxis, :] - mu[:, np.newaxis]) / sigma[:, np.newaxis]
    curves = np.exp(-0.5 * z**2) / (sigma[:, np.newaxis] * np.sqrt(2.0 * np.pi))
    row_sums = np.corrcoef(curves).sum(axis=1)
    c_min, c_max = row_sums.min(), row_sums.max()
    if c_max - c_min <= 1e-9 * n_segments:
        return np.ones(n_segments)
    return (row_sums - c_min) / (c_max - c_min)


class GaussianDataSelector(TransformerMixin, BaseEstimator):
    """Gaussian data selection: drop heterogeneous segments from the training data.

    Scores every segment of every utterance with :func:`gds_scores` and keeps
    those scoring above ``threshold``. Selection acts **inside** each
    utterance: the number of samples (utterances) never changes, so ``y``
    and ``groups`` stay aligned, and no utterance loses all its segments (its
    best segment scores 1).

    **fit_transform differs from fit().transform()**, on purpose, like a
    resampler: ``fit_transform`` (what :class:`~sklearn.pipeline.Pipeline`
    calls on the training data) returns the selected segments;
    ``transform`` (what the pipeline calls at predict/score time) returns
    every segment unchanged unless ``select_at_predict=True``. In a pipeline
    ending with a segment classifier the network is thus trained on selected
    segments and evaluated on whole utterances. Nothing is learned from the
    data: the scores of an utterance depend only on its own segments.

    Parameters
    ----------
    threshold : float in [0, 1), default=0.4
        ``T``: keep segments with score > T. The paper gives no value; 0.4
        drops about 15 % of EmoDB's segments (the paper's reduction) with
        :class:`~sklearn_ser.features.segments.SegmentedLogMel`'s defaults
        (see Notes).
    n_grid : int, default=256
        Points of the common grid of the Gaussian curves.
    grid_sigmas : float, default=4.0
        Half-width of the grid beyond the extreme means, in standard deviations.
    select_at_predict : bool, default=False
        Also select in ``transform`` (the paper evaluated on selected test
        segments too). The selection uses only the utterance itself, so this
        does not leak between folds.

    Attributes
    ----------
    n_utterances_ : int
        Utterances seen in ``fit``.
    n_segments_in_ : int
        Segments before selection.
    n_segments_kept_ : int
        Segments kept.
    n_segments_dropped_ : int
        Segments dropped.
    dropped_fraction_ : float
        ``n_segments_dropped_ / n_segments_in_``.
    kept_per_utterance_ : ndarray of shape (n_utterances_,)
        Segments kept per training utterance.
    segments_per_utterance_ : ndarray of shape (n_utterances_,)
        Segments per training utterance before selection.

    See Also
    --------
    gds_scores : The scores of one utterance.
    sklearn_ser.features.segments.SegmentedLogMel : Produces the segments.

    Notes
    -----
    With the default ``SegmentedLogMel`` (16 kHz, hop 480, 96-frame segments
    every 24 frames) EmoDB's 535 utterances give 887 segments; 341 utterances
    are a single (padded) segment and 107 have two, which GDS always keeps.
    Any ``T >= 0`` drops the worst segment of each of the 87 utterances with
    three or more segments (9.8 %); ``T = 0.4`` drops 131 segments (14.8 %),
    ``T = 0.6`` 17.5 %, ``T = 0.9`` 23.6 %. With 25 ms / 10 ms framing
    (``n_fft=400, hop_length=160, segment_hop=48``) every utterance has two or
    more segments and even ``T = 0`` drops 18.8 %.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> utt = rng.normal(0, 1, size=(5, 1, 96, 64)).astype("float32")
    >>> utt[4] += 6.0                           # a heterogeneous segment
    >>> X = [utt, utt[:1]]                      # two utterances
    >>> gds = GaussianDataSelector()
    >>> [u.shape[0] for u in gds.fit_transform(X)]   # training: selected
    [4, 1]
    >>> [u.shape[0] for u in gds.transform(X)]       # prediction: untouched
    [5, 1]
    >>> gds.n_segments_dropped_, round(gds.dropped_fraction_, 3)
    (1, 0.167)
    """

    _parameter_constraints = {
        "threshold": [Interval(Real, 0, 1, closed="left")],
        "n_grid": [Interval(Integral, 3, None, closed="left")],
        "grid_sigmas": [Interval(Real, 0, None, closed="neither")],
        "select_at_predict": ["boolean"],
    }

    def __init__(self, threshold=DEFAULT_THRESHOLD, n_grid=256, grid_sigmas=4.0,
                 select_at_predict=False):
        self.threshold = threshold
        self.n_grid = n_grid
        self.grid_sigmas = grid_sigmas
        self.select_at_predict = select_at_predict

    def score_segments(self, X):
        """GDS score of every segment, per utterance.

        Parameters
        ----------
        X : segmented utterances
            Output of :class:`~sklearn_ser.features.segments.SegmentedLogMel`.

        Returns
        -------
        scores : list of ndarray
            ``scores[i][j]`` is the score of segment ``j`` of utterance ``i``.
        """
        return [gds_scores(u, n_grid=self.n_grid, grid_sigmas=self.grid_sigmas)
                for u in check_segments(X)]

    def _select(self, utterances):
        kept = []
        for u in utterances:
            mask = gds_scores(u, n_grid=self.n_grid, grid_sigmas=self.grid_sigmas) > self.threshold
            kept.append(u[mask])
        return kept

    def _record(self, utterances, kept):
        before = np.array([len(u) for u in utterances])
        after = np.array([len(u) for u in kept])
        self.n_utterances_ = len(utterances)
        self.segments_per_utterance_ = before
        self.kept_per_utterance_ = after
        self.n_segments_in_ = int(before.sum())
        self.n_segments_kept_ = int(after.sum())
        self.n_segments_dropped_ = self.n_segments_in_ - self.n_segments_kept_
        self.dropped_fraction_ = self.n_segments_dropped_ / self.n_segments_in_

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate ``X`` and record how many segments selection keeps on it.

        Parameters
        ----------
        X : segmented utterances
            Output of :class:`~sklearn_ser.features.segments.SegmentedLogMel`.
        y : ignored

        Returns
        -------
        self : GaussianDataSelector
        """
        utterances = check_segments(X)
        self._record(utterances, self._select(utterances))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and return the **selected** segments of ``X`` (training data).

        Parameters
        ----------
        X : segmented utterances
        y : ignored

        Returns
        -------
        X_selected : ndarray of shape (n_utterances,), dtype object
            Each utterance's kept segments, in their original order.
        """
        utterances = check_segments(X)
        kept = self._select(utterances)
        self._record(utterances, kept)
        return pack_segments(kept)

    def transform(self, X):
        """Return ``X`` unchanged, or selected when ``select_at_predict=True``.

        Parameters
        ----------
        X : segmented utterances

        Returns
        -------
        X_out : ndarray of shape (n_utterances,), dtype object
        """
        check_is_fitted(self, "n_segments_in_")
        utterances = check_segments(X)
        if self.select_at_predict:
            return pack_segments(self._select(utterances))
        return pack_segments(utterances)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
