"""Evaluation protocols for speech emotion recognition.

* :func:`stratified_kfold`: the papers' 5-fold protocol (80 % train / 20 %
  test per fold, class proportions kept, speakers may appear on both sides).
* :class:`SpeakerKFold`: speaker-independent k folds, no speaker in both the
  training and the test part of a fold, the same number of speakers in every
  test fold (EmoDB's 10 speakers give 5 folds of 2), classes balanced.
* :class:`LeaveOneSpeakerOut`: one fold per speaker.
* :func:`make_cv`: pick one of the above by protocol name.
* :func:`cross_corpus_score`: train on one corpus, test on another.

The splitters take the speaker of each utterance either at split time
(``cross_val_score(..., groups=bunch.speaker)``) or at construction
(``SpeakerKFold(speakers=bunch.speaker)``), so that ``GridSearchCV`` can use
them without routing ``groups``.
"""

import warnings
from collections.abc import Mapping
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.model_selection._split import BaseCrossValidator
from sklearn.utils import Bunch, _safe_indexing, check_random_state, column_or_1d, indexable
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import _num_samples

from .metrics import emotion_report, get_scorer

try:  # scikit-learn >= 1.3: request ``groups`` under metadata routing
    from sklearn.model_selection._split import GroupsConsumerMixin as _GroupsConsumerMixin
except ImportError:  # pragma: no cover - depends on the sklearn version

    class _GroupsConsumerMixin:
        pass


__all__ = [
    "LeaveOneSpeakerOut",
    "SpeakerKFold",
    "cross_corpus_score",
    "make_cv",
    "stratified_kfold",
]

#: Names accepted by :func:`make_cv`.
PROTOCOLS = ("stratified", "speaker", "loso")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _resolve_speakers(splitter, groups, n_samples):
    """The speaker of each sample, from ``groups`` or else ``splitter.speakers``."""
    name = type(splitter).__name__
    if groups is not None:
        source, values = "groups", groups
    elif splitter.speakers is not None:
        source, values = "speakers", splitter.speakers
    else:
        raise ValueError(
            f"{name} needs the speaker of each sample: pass groups=bunch.speaker to "
            f"split() (or to cross_val_score/cross_validate), or build "
            f"{name}(speakers=bunch.speaker) so that GridSearchCV can use it without "
            "routing groups."
        )
    values = column_or_1d(np.asarray(values), warn=False)
    if n_samples is not None and values.shape[0] != n_samples:
        hint = (
            " The speakers given at construction must belong to exactly the data being "
            "split; inside nested cross-validation (or on a subset) pass groups= instead."
            if source == "speakers"
            else ""
        )
        raise ValueError(
            f"{name}: {source} has {values.shape[0]} entries but X has {n_samples} "
            f"samples; give one speaker per sample.{hint}"
        )
    return values


def _check_n_splits(n_splits):
    if not isinstance(n_splits, Integral) or isinstance(n_splits, bool) or n_splits < 2:
        raise ValueError(
            f"n_splits must be an integer of at least 2 (one fold to test, the rest to "
            f"train); got {n_splits!r}."
        )
    return int(n_splits)


def _refine_by_swaps(fold_of_speaker, fold_counts, counts, class_totals, ideal, max_passes=20):
    """Swap speakers between folds while that brings each fold's share of every
    class closer to ``ideal``; fold speaker counts do not change. In place."""

    def penalty(rows):
        return ((rows / class_totals - ideal) ** 2).sum(axis=-1)

    for _ in range(max_passes):
        improved = False
        for a in range(counts.shape[0]):
            fa = fold_of_speaker[a]
            others = np.flatnonzero(fold_of_speaker != fa)
            if others.shape[0] == 0:
                continue
            fb = fold_of_speaker[others]
            delta = counts[others] - counts[a]
            change = (
                penalty(fold_counts[fa] + delta)
                - penalty(fold_counts[fa])
                + penalty(fold_counts[fb] - delta)
                - penalty(fold_counts[fb])
            )
            best = int(np.argmin(change))
            if change[best] < -1e-12:
                b = others[best]
                fold_counts[fa] += delta[best]
                fold_counts[fb[best]] -= delta[best]
                fold_of_speaker[a], fold_of_speaker[b] = fb[best], fa
                improved = True
        if not improved:
            break


def _speaker_summary(speakers):
    if speakers is None:
        return "None"
    return f"<{len(speakers)} speaker labels>"


# --------------------------------------------------------------------------
# splitters
# --------------------------------------------------------------------------
class SpeakerKFold(_GroupsConsumerMixin, BaseCrossValidator):
    """Speaker-independent K-fold cross-validation.

    Each speaker's utterances all fall in the same fold, so no speaker is in
    both the training and the test part of a split. Every test fold holds the
    same number of speakers (give or take one when ``n_splits`` does not
    divide it): EmoDB's 10 speakers give 5 folds of 2 speakers. With
    ``stratify=True`` speakers are spread so that each fold gets about its
    share of every emotion.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2 and at most the number of speakers.
    shuffle : bool, default=False
        Visit the speakers in a random order when building the folds.
        ``False`` visits them from the largest to the smallest, which is
        deterministic. With few speakers the balancing (see Notes) often
        reaches the same partition whatever the order, so the seed may only
        change the order of the folds.
    random_state : int, RandomState instance or None, default=None
        Seed of that order; used only when ``shuffle=True``.
    stratify : bool, default=True
        Balance the emotion classes across folds (needs ``y`` at split time).
        ``False`` balances the number of utterances only, like
        :class:`~sklearn.model_selection.GroupKFold`.
    speakers : array-like of shape (n_samples,), default=None
        Speaker of each utterance, used when ``split`` receives no ``groups``.
        Lets ``GridSearchCV(cv=SpeakerKFold(speakers=bunch.speaker))`` work
        without passing ``groups`` to ``fit``. It must be aligned with the
        data the splitter is given.

    See Also
    --------
    LeaveOneSpeakerOut : One fold per speaker.
    sklearn.model_selection.StratifiedGroupKFold : Class-balanced group folds
        that may give folds different numbers of groups.
    stratified_kfold : The papers' speaker-dependent protocol.

    Notes
    -----
    The folds are built greedily: each speaker (largest first, or in random
    order with ``shuffle=True``) goes to the fold, among those that still have
    room for a speaker, whose share of each emotion then stays closest to
    ``1 / n_splits`` (``stratify=True``) or that holds the fewest utterances
    (``stratify=False``). Ties go to the fold with fewer utterances, then to
    the first one. The "room" keeps the speaker counts of the folds within
    one of each other. Speakers are then swapped between folds while a swap
    brings the folds' class shares closer to ``1 / n_splits`` (utterance
    shares when ``stratify=False``).

    Examples
    --------
    Ten speakers, two classes: five folds of two speakers each.

    >>> import numpy as np
    >>> from sklearn_ser.model_selection import SpeakerKFold
    >>> speakers = np.repeat([f"s{i:02d}" for i in range(10)], 4)
    >>> y = np.tile(["anger", "anger", "sadness", "sadness"], 10)
    >>> X = np.zeros((40, 1))
    >>> cv = SpeakerKFold(n_splits=5)
    >>> cv.get_n_splits()
    5
    >>> for train, test in cv.split(X, y, groups=speakers):
    ...     print(np.unique(speakers[test]))
    ['s00' 's05']
    ['s01' 's06']
    ['s02' 's07']
    ['s03' 's08']
    ['s04' 's09']

    The speakers can also be given once, for ``GridSearchCV``:

    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> search = GridSearchCV(
    ...     DummyClassifier(), {"strategy": ["most_frequent", "stratified"]},
    ...     cv=SpeakerKFold(speakers=speakers), scoring="accuracy",
    ... ).fit(X, y)
    >>> search.n_splits_
    5
    """

    def __init__(
        self, n_splits=5, *, shuffle=False, random_state=None, stratify=True, speakers=None
    ):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.stratify = stratify
        self.speakers = speakers

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        int
            ``n_splits``.
        """
        return _check_n_splits(self.n_splits)

    def split(self, X, y=None, groups=None):
        """Generate train/test indices; no speaker is on both sides.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of file names
            The utterances; only their number is used.
        y : array-like of shape (n_samples,), default=None
            Emotion labels; required when ``stratify=True``.
        groups : array-like of shape (n_samples,), default=None
            Speaker of each utterance. ``None`` uses ``speakers`` from the
            constructor.

        Yields
        ------
        train : ndarray
            Training indices of the fold.
        test : ndarray
            Test indices of the fold.
        """
        X, y = indexable(X, y)
        speakers = _resolve_speakers(self, groups, _num_samples(X))
        return super().split(X, y, speakers)

    def _iter_test_indices(self, X=None, y=None, groups=None):
        n_splits = _check_n_splits(self.n_splits)
        speaker_names, speaker_idx = np.unique(groups, return_inverse=True)
        n_speakers = speaker_names.shape[0]
        if n_speakers < n_splits:
            raise ValueError(
                f"{type(self).__name__}(n_splits={n_splits}) needs at least {n_splits} "
                f"speakers, but only {n_speakers} were found "
                f"({', '.join(map(str, speaker_names[:10]))}"
                f"{', ...' if n_speakers > 10 else ''}). Use n_splits<={n_speakers}, "
                "e.g. LeaveOneSpeakerOut()."
                if n_speakers >= 2
                else f"{type(self).__name__} needs at least 2 speakers, but only "
                f"{n_speakers} was found. Use a speaker-dependent protocol such as "
                "stratified_kfold() instead."
            )
        if self.stratify:
            if y is None:
                raise ValueError(
                    f"{type(self).__name__}(stratify=True) needs y to balance the classes; "
                    "pass y to split() or use stratify=False."
                )
            _, y_idx = np.unique(column_or_1d(y), return_inverse=True)
        else:
            y_idx = np.zeros(speaker_idx.shape[0], dtype=np.intp)
        fold_of_speaker = self._assign(speaker_idx, y_idx, n_speakers, n_splits)
        sample_fold = fold_of_speaker[speaker_idx]
        for fold in range(n_splits):
            yield np.flatnonzero(sample_fold == fold)

    def _assign(self, speaker_idx, y_idx, n_speakers, n_splits):
        """Fold of each speaker (see Notes of the class docstring)."""
        n_classes = int(y_idx.max()) + 1
        counts = np.zeros((n_speakers, n_classes))
        np.add.at(counts, (speaker_idx, y_idx), 1)
        sizes = counts.sum(axis=1)
        class_totals = counts.sum(axis=0)
        if self.shuffle:
            order = check_random_state(self.random_state).permutation(n_speakers)
        else:
            order = np.argsort(-sizes, kind="stable")

        base, n_large = divmod(n_speakers, n_splits)
        fold_counts = np.zeros((n_splits, n_classes))
        fold_speakers = np.zeros(n_splits, dtype=int)
        fold_of_speaker = np.empty(n_speakers, dtype=int)
        large_used = 0
        ideal = 1.0 / n_splits
        for s in order:
            room = (fold_speakers < base) | ((fold_speakers == base) & (large_used < n_large))
            candidates = np.flatnonzero(room)
            fold_sizes = fold_counts[candidates].sum(axis=1)
            if self.stratify:
                before = fold_counts[candidates] / class_totals - ideal
                after = (fold_counts[candidates] + counts[s]) / class_totals - ideal
                cost = (after**2 - before**2).sum(axis=1)
                cost = np.round(cost, 12)  # ties up to rounding go to the size rule
            else:
                cost = np.zeros(candidates.shape[0])
            best = candidates[np.lexsort((candidates, fold_sizes, cost))[0]]
            if fold_speakers[best] == base:
                large_used += 1
            fold_counts[best] += counts[s]
            fold_speakers[best] += 1
            fold_of_speaker[s] = best
        _refine_by_swaps(fold_of_speaker, fold_counts, counts, class_totals, ideal)
        return fold_of_speaker

    def __repr__(self):
        return (
            f"{type(self).__name__}(n_splits={self.n_splits!r}, shuffle={self.shuffle!r}, "
            f"random_state={self.random_state!r}, stratify={self.stratify!r}, "
            f"speakers={_speaker_summary(self.speakers)})"
        )


class LeaveOneSpeakerOut(_GroupsConsumerMixin, BaseCrossValidator):
    """Leave-one-speaker-out (LOSO) cross-validation.

    Each fold tests on all utterances of one speaker and trains on the other
    speakers, so there are as many folds as speakers.

    Parameters
    ----------
    speakers : array-like of shape (n_samples,), default=None
        Speaker of each utterance, used when ``split`` receives no ``groups``
        (lets ``GridSearchCV`` work without routing ``groups``).

    See Also
    --------
    SpeakerKFold : Fewer, larger speaker-independent folds.
    sklearn.model_selection.LeaveOneGroupOut : The same split from ``groups``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.model_selection import LeaveOneSpeakerOut
    >>> speakers = np.array(["03", "03", "08", "08", "09"])
    >>> cv = LeaveOneSpeakerOut(speakers=speakers)
    >>> cv.get_n_splits()
    3
    >>> for train, test in cv.split(np.zeros((5, 1))):
    ...     print(test, speakers[test[0]])
    [0 1] 03
    [2 3] 08
    [4] 09
    """

    def __init__(self, speakers=None):
        self.speakers = speakers

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of folds: the number of distinct speakers.

        Parameters
        ----------
        X : object, default=None
            If given, its length is checked against the speakers.
        y : object
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Speaker of each utterance; ``None`` uses ``speakers``.

        Returns
        -------
        int
            The number of distinct speakers.
        """
        n_samples = None if X is None else _num_samples(X)
        return int(np.unique(_resolve_speakers(self, groups, n_samples)).shape[0])

    def split(self, X, y=None, groups=None):
        """Generate train/test indices, one speaker per test fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of file names
            The utterances; only their number is used.
        y : object
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Speaker of each utterance; ``None`` uses ``speakers``.

        Yields
        ------
        train : ndarray
            Training indices of the fold.
        test : ndarray
            Test indices of the fold.
        """
        X, y = indexable(X, y)
        speakers = _resolve_speakers(self, groups, _num_samples(X))
        return super().split(X, y, speakers)

    def _iter_test_indices(self, X=None, y=None, groups=None):
        names, idx = np.unique(groups, return_inverse=True)
        if names.shape[0] < 2:
            raise ValueError(
                f"LeaveOneSpeakerOut needs at least 2 speakers, but only {names.shape[0]} "
                "was found. Use a speaker-dependent protocol such as stratified_kfold()."
            )
        for i in range(names.shape[0]):
            yield np.flatnonzero(idx == i)

    def __repr__(self):
        return f"LeaveOneSpeakerOut(speakers={_speaker_summary(self.speakers)})"


def stratified_kfold(n_splits=5, random_state=0):
    """The papers' protocol: shuffled, class-stratified K folds (80/20 for K=5).

    Speakers may appear in both the training and the test part of a fold
    (speaker-dependent evaluation), as in the VACNN+BOVW paper.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds; 5 gives 80 % training / 20 % test.
    random_state : int, RandomState instance or None, default=0
        Seed of the shuffle.

    Returns
    -------
    sklearn.model_selection.StratifiedKFold
        ``StratifiedKFold(n_splits, shuffle=True, random_state=random_state)``.

    See Also
    --------
    SpeakerKFold : The speaker-independent alternative.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.model_selection import stratified_kfold
    >>> y = np.repeat(["anger", "sadness"], 10)
    >>> cv = stratified_kfold()
    >>> [(len(train), len(test)) for train, test in cv.split(np.zeros((20, 1)), y)]
    [(16, 4), (16, 4), (16, 4), (16, 4), (16, 4)]
    """
    return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)


def make_cv(protocol, n_splits=5, speakers=None, random_state=0):
    """Build the cross-validator of an evaluation protocol, by name.

    Parameters
    ----------
    protocol : {"stratified", "speaker", "loso"}
        ``"stratified"``: :func:`stratified_kfold` (speaker-dependent, the
        papers' protocol); ``"speaker"``: :class:`SpeakerKFold` with
        ``shuffle=True``; ``"loso"``: :class:`LeaveOneSpeakerOut`.
    n_splits : int, default=5
        Number of folds; ignored by ``"loso"``.
    speakers : array-like of shape (n_samples,), default=None
        Speaker of each utterance for ``"speaker"`` and ``"loso"`` (else pass
        ``groups=`` when splitting); ignored by ``"stratified"``.
    random_state : int, RandomState instance or None, default=0
        Seed of ``"stratified"`` and ``"speaker"``; ignored by ``"loso"``.

    Returns
    -------
    cv : cross-validator
        An object with ``split`` and ``get_n_splits``.

    Raises
    ------
    ValueError
        If ``protocol`` is not one of the names above.

    Examples
    --------
    >>> from sklearn_ser.model_selection import make_cv
    >>> make_cv("stratified")
    StratifiedKFold(n_splits=5, random_state=0, shuffle=True)
    >>> make_cv("speaker", speakers=["a", "a", "b", "b", "c", "c"], n_splits=3)
    SpeakerKFold(n_splits=3, shuffle=True, random_state=0, stratify=True,
                 speakers=<6 speaker labels>)
    >>> make_cv("loso")
    LeaveOneSpeakerOut(speakers=None)
    """
    if protocol == "stratified":
        return stratified_kfold(n_splits=n_splits, random_state=random_state)
    if protocol == "speaker":
        return SpeakerKFold(
            n_splits=n_splits, shuffle=True, random_state=random_state, speakers=speakers
        )
    if protocol == "loso":
        return LeaveOneSpeakerOut(speakers=speakers)
    raise ValueError(
        f"Unknown protocol {protocol!r}; valid protocols are "
        f"{', '.join(repr(p) for p in PROTOCOLS)}."
    )


# --------------------------------------------------------------------------
# cross-corpus evaluation
# --------------------------------------------------------------------------
def _as_xy(data, name):
    """``(X, y)`` from a corpus Bunch (``filenames``, ``target``) or a tuple."""
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"{name} as a tuple must be (X, y); got {len(data)} items.")
        X, y = data
    elif isinstance(data, Mapping) and "target" in data and ("filenames" in data or "data" in data):
        X = data["filenames"] if "filenames" in data else data["data"]
        y = data["target"]
    else:
        raise TypeError(
            f"{name} must be a corpus Bunch with 'filenames' and 'target' (as the "
            f"sklearn_ser.datasets loaders return) or an (X, y) tuple; got "
            f"{type(data).__name__}."
        )
    y = column_or_1d(np.asarray(y), warn=True)
    if _num_samples(X) != y.shape[0]:
        raise ValueError(f"{name}: X has {_num_samples(X)} items but y has {y.shape[0]} labels.")
    return X, y


def cross_corpus_score(estimator, train, test, *, scoring=None, unseen_labels="drop"):
    """Train on one corpus, test on another, and report per-emotion scores.

    A clone of ``estimator`` is fitted on ``train`` and predicts ``test``.
    Test utterances whose emotion never occurs in ``train`` cannot be
    predicted correctly; they are dropped with a warning (or raise).

    Parameters
    ----------
    estimator : estimator object
        A classifier (usually a pipeline starting from file names, such as
        ``make_pipeline(LogMelImage(), ..., classifier)``). It is cloned, the
        original is left untouched.
    train, test : Bunch or tuple (X, y)
        A corpus as the loaders return it (``filenames`` and ``target`` are
        used; ``data`` stands in when there is no ``filenames``) or an
        ``(X, y)`` tuple for other inputs.
    scoring : str, callable or None, default=None
        Extra score to compute on the kept test items: a name (``"ser_ua"``,
        ``"ser_wa"`` or any scikit-learn scorer name) or a scorer
        ``scorer(estimator, X, y)``, which predicts once more. ``None`` makes
        ``score`` the UA, taken from the predictions already made.
    unseen_labels : {"drop", "raise"}, default="drop"
        What to do with test items whose label is not among the training
        labels: ``"drop"`` them with a warning naming the labels and counts,
        or ``"raise"`` a ``ValueError`` (before any training).

    Returns
    -------
    result : Bunch
        With keys:

        ``report`` : :class:`~sklearn_ser.metrics.EmotionReport`
            Per-emotion precision, recall, F1, support, confusion matrix, WA
            and UA on the kept test items.
        ``weighted_accuracy``, ``unweighted_accuracy`` : float
            WA and UA, the same as in ``report``.
        ``score`` : float
            The ``scoring`` value (UA when ``scoring=None``).
        ``y_true``, ``y_pred`` : ndarray
            Labels and predictions of the kept test items.
        ``test_indices`` : ndarray of int
            Positions of the kept items in ``test``.
        ``dropped`` : dict
            ``{label: count}`` of the dropped test items (empty if none).
        ``estimator`` : estimator
            The fitted clone.

    Raises
    ------
    ValueError
        If ``unseen_labels="raise"`` and ``test`` has labels unseen in
        training, if no test item is left, or if ``unseen_labels`` is invalid.

    Examples
    --------
    A nearest-neighbour classifier on one number per utterance; the test
    corpus has a ``boredom`` item the training corpus never had.

    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn_ser.model_selection import cross_corpus_score
    >>> train = (np.array([[0.0], [0.1], [1.0], [1.1]]),
    ...          ["anger", "anger", "sadness", "sadness"])
    >>> test = (np.array([[0.05], [1.05], [0.02], [5.0]]),
    ...         ["anger", "sadness", "sadness", "boredom"])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     result = cross_corpus_score(KNeighborsClassifier(n_neighbors=1), train, test)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    Dropped 1 of 4 test items whose labels never occur in training: {'boredom': 1}...
    >>> result.y_pred.tolist()
    ['anger', 'sadness', 'anger']
    >>> round(result.weighted_accuracy, 4), result.unweighted_accuracy
    (0.6667, 0.75)
    >>> result.report.confusion_matrix
    array([[1, 0],
           [1, 1]])
    """
    if unseen_labels not in ("drop", "raise"):
        raise ValueError(f"unseen_labels must be 'drop' or 'raise'; got {unseen_labels!r}.")
    X_train, y_train = _as_xy(train, "train")
    X_test, y_test = _as_xy(test, "test")
    if y_train.shape[0] == 0 or y_test.shape[0] == 0:
        raise ValueError("train and test must each hold at least one item.")
    unique_labels(y_train, y_test)  # clear error on string vs number labels

    seen = np.unique(y_train)
    unseen = ~np.isin(y_test, seen)
    dropped = {}
    if unseen.any():
        names, counts = np.unique(y_test[unseen], return_counts=True)
        dropped = {name: int(count) for name, count in zip(names.tolist(), counts)}
        n_unseen = int(unseen.sum())
        if unseen_labels == "raise":
            raise ValueError(
                f"{n_unseen} of {y_test.shape[0]} test items have labels that never occur "
                f"in training: {dropped}; training labels are {seen.tolist()}. Harmonise "
                "the corpora's label sets first (e.g. load both with "
                "harmonize='pretraining'), or pass unseen_labels='drop' to score the rest."
            )
        if n_unseen == y_test.shape[0]:
            raise ValueError(
                f"No test label occurs in training (test: {dropped}, training: "
                f"{seen.tolist()}); nothing is left to score. Harmonise the corpora's label "
                "sets first (e.g. harmonize='pretraining')."
            )
        warnings.warn(
            f"Dropped {n_unseen} of {y_test.shape[0]} test items whose labels never occur "
            f"in training: {dropped}. Harmonise the corpora's label sets (e.g. "
            "harmonize='pretraining') to keep them, or pass unseen_labels='raise' to make "
            "this an error.",
            UserWarning,
            stacklevel=2,
        )
    test_indices = np.flatnonzero(~unseen)
    if unseen.any():
        X_test = _safe_indexing(X_test, test_indices)
        y_test = y_test[test_indices]

    fitted = clone(estimator).fit(X_train, y_train)
    y_pred = column_or_1d(np.asarray(fitted.predict(X_test)), warn=True)
    report = emotion_report(y_test, y_pred)
    if scoring is None:
        score = report.unweighted_accuracy
    else:
        score = float(get_scorer(scoring)(fitted, X_test, y_test))
    return Bunch(
        report=report,
        weighted_accuracy=report.weighted_accuracy,
        unweighted_accuracy=report.unweighted_accuracy,
        score=score,
        y_true=y_test,
        y_pred=y_pred,
        test_indices=test_indices,
        dropped=dropped,
        estimator=fitted,
    )
