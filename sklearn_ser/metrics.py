"""Scores used in speech emotion recognition: WA, UA and the per-emotion report.

The SER literature reports two accuracies:

* **WA**, *weighted accuracy*: the overall accuracy, the fraction of
  utterances classified correctly. Frequent emotions weigh more.
* **UA**, *unweighted accuracy*: the mean of the per-class recalls, so every
  emotion weighs the same whatever its number of utterances (scikit-learn
  calls it balanced accuracy).

Both exist as plain functions (:func:`weighted_accuracy`,
:func:`unweighted_accuracy`), as scorer objects (:data:`wa_scorer`,
:data:`ua_scorer`) and, once :func:`register_scorers` has run, as the
``scoring=`` strings ``"ser_wa"`` and ``"ser_ua"``. :func:`emotion_report`
gathers per-emotion precision, recall, F1-score, support, the confusion matrix,
WA and UA, and prints them as the per-class tables of the papers.
"""

import copy
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics import make_scorer
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import unique_labels

from ._labels import CANONICAL_EMOTIONS

__all__ = [
    "EmotionReport",
    "emotion_report",
    "get_scorer",
    "register_scorers",
    "ua_scorer",
    "unweighted_accuracy",
    "wa_scorer",
    "weighted_accuracy",
]


# --------------------------------------------------------------------------
# input checks and label order
# --------------------------------------------------------------------------
def _check_pair(y_true, y_pred):
    """Return ``y_true`` and ``y_pred`` as 1-D arrays of one label type."""
    y_true = column_or_1d(y_true, warn=True)
    y_pred = column_or_1d(y_pred, warn=True)
    check_consistent_length(y_true, y_pred)
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty: at least one prediction is needed to score.")
    # Raises a clear error on a mix of label types (strings and numbers).
    unique_labels(y_true, y_pred)
    return y_true, y_pred


def _check_labels(labels):
    labels = column_or_1d(np.asarray(labels), warn=False)
    if labels.shape[0] == 0:
        raise ValueError("labels is empty: give at least one class label, or labels=None.")
    if np.unique(labels).shape[0] != labels.shape[0]:
        raise ValueError(f"labels must not repeat a class; got {labels.tolist()!r}.")
    return labels


def _emotion_order(values):
    """Sort labels in ``CANONICAL_EMOTIONS`` order when all are canonical names.

    Other labels (numbers, corpus-specific names) are sorted the usual way.
    """
    values = np.unique(np.asarray(values))
    if all(isinstance(v, str) and v in CANONICAL_EMOTIONS for v in values):
        return np.asarray(sorted(values, key=CANONICAL_EMOTIONS.index), dtype=values.dtype)
    return values


def _counts(y_true, y_pred, labels):
    """Confusion matrix over ``labels`` (rows true, columns predicted)."""
    n = labels.shape[0]
    index = {label: i for i, label in enumerate(labels.tolist())}
    true_idx = np.array([index.get(v, -1) for v in y_true.tolist()], dtype=np.intp)
    pred_idx = np.array([index.get(v, -1) for v in y_pred.tolist()], dtype=np.intp)
    both = (true_idx >= 0) & (pred_idx >= 0)
    flat = np.bincount(true_idx[both] * n + pred_idx[both], minlength=n * n)
    # Support and predicted counts include items paired with a label outside
    # ``labels``: such an item is still a miss (or a false alarm) for its class.
    support = np.bincount(true_idx[true_idx >= 0], minlength=n)
    predicted = np.bincount(pred_idx[pred_idx >= 0], minlength=n)
    return flat.reshape(n, n), support, predicted


def _safe_divide(num, den):
    """``num / den`` element-wise, 0.0 where ``den`` is 0, without warnings."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.zeros(np.broadcast(num, den).shape, dtype=float)
    np.divide(num, den, out=out, where=den != 0)
    return out


# --------------------------------------------------------------------------
# WA and UA
# --------------------------------------------------------------------------
def weighted_accuracy(y_true, y_pred, *, sample_weight=None):
    """Weighted accuracy (WA): the fraction of utterances classified correctly.

    In the speech emotion recognition literature *weighted accuracy* is the
    overall accuracy: each utterance counts once, so frequent emotions weigh
    more than rare ones. Compare with :func:`unweighted_accuracy` (UA).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotion labels.
    y_pred : array-like of shape (n_samples,)
        Predicted emotion labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each utterance; ``None`` weighs them equally.

    Returns
    -------
    float
        WA in ``[0, 1]``.

    See Also
    --------
    unweighted_accuracy : Mean per-class recall (UA).
    sklearn.metrics.accuracy_score : The same number for plain labels.

    Examples
    --------
    >>> from sklearn_ser.metrics import weighted_accuracy
    >>> y_true = ["anger", "anger", "anger", "sadness"]
    >>> y_pred = ["anger", "anger", "anger", "anger"]
    >>> weighted_accuracy(y_true, y_pred)
    0.75
    >>> weighted_accuracy(y_true, y_pred, sample_weight=[1, 1, 1, 3])
    0.5
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    correct = (y_true == y_pred).astype(float)
    if sample_weight is None:
        return float(correct.mean())
    sample_weight = column_or_1d(np.asarray(sample_weight, dtype=float))
    check_consistent_length(y_true, sample_weight)
    if np.any(sample_weight < 0) or sample_weight.sum() <= 0:
        raise ValueError("sample_weight must be non-negative with a positive sum.")
    return float(np.average(correct, weights=sample_weight))


def unweighted_accuracy(y_true, y_pred, *, labels=None):
    """Unweighted accuracy (UA): the mean of the per-class recalls.

    In the speech emotion recognition literature *unweighted accuracy* gives
    every emotion the same weight whatever its number of utterances, which
    makes it the fairer score on imbalanced corpora such as IEMOCAP. It is
    scikit-learn's balanced accuracy (without its ``adjusted`` option).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotion labels.
    y_pred : array-like of shape (n_samples,)
        Predicted emotion labels. Predicted classes that never occur in
        ``y_true`` lower the recall of the true classes they were mistaken
        for, and raise no warning.
    labels : array-like, default=None
        Classes to average over. ``None`` uses the classes present in
        ``y_true``. A given class with no utterance in ``y_true`` has an
        undefined recall, counted as 0.0 (as
        ``recall_score(..., average="macro", zero_division=0)`` does).

    Returns
    -------
    float
        UA in ``[0, 1]``.

    See Also
    --------
    weighted_accuracy : Overall accuracy (WA).
    sklearn.metrics.balanced_accuracy_score : The same number for ``labels=None``.

    Examples
    --------
    Three angry utterances all recognised, one sad utterance missed: WA is
    0.75 but UA is only (1.0 + 0.0) / 2.

    >>> from sklearn_ser.metrics import unweighted_accuracy
    >>> y_true = ["anger", "anger", "anger", "sadness"]
    >>> y_pred = ["anger", "anger", "anger", "anger"]
    >>> unweighted_accuracy(y_true, y_pred)
    0.5
    >>> unweighted_accuracy([0, 0, 1, 1], [0, 1, 1, 1])
    0.75
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    labels = np.unique(y_true) if labels is None else _check_labels(labels)
    cm, support, _ = _counts(y_true, y_pred, labels)
    return float(_safe_divide(np.diag(cm), support).mean())


# --------------------------------------------------------------------------
# scorers
# --------------------------------------------------------------------------
#: Scorer for WA (:func:`weighted_accuracy`); ``scoring="ser_wa"`` once registered.
wa_scorer = make_scorer(weighted_accuracy)

#: Scorer for UA (:func:`unweighted_accuracy`); ``scoring="ser_ua"`` once registered.
ua_scorer = make_scorer(unweighted_accuracy)

_SER_SCORERS = {"ser_wa": wa_scorer, "ser_ua": ua_scorer}


def _sklearn_scorer_registry():
    """scikit-learn's private name -> scorer dict, or ``None`` if it moved."""
    try:
        from sklearn.metrics import _scorer
    except ImportError:  # pragma: no cover - depends on the sklearn version
        return None
    registry = getattr(_scorer, "_SCORERS", None)
    if not isinstance(registry, dict):
        return None
    return registry


def _allow_in_parameter_validation(names):
    """Add ``names`` to the scoring-name options of already imported sklearn APIs.

    scikit-learn validates ``scoring=`` against ``StrOptions(set(get_scorer_names()))``
    built when each module is imported, so a name registered later is refused
    by modules imported earlier. This finds those option sets (on classes'
    ``_parameter_constraints`` and on functions decorated with
    ``validate_params``) and adds ``names`` to them. Modules imported later
    read the registry themselves. Returns the number of option sets updated.
    """
    from sklearn.utils._param_validation import StrOptions

    marker = {"accuracy", "neg_mean_squared_error"}  # identifies the scorer-name sets
    seen, updated = set(), 0
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == "sklearn" or module_name.startswith("sklearn.")):
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, type):
                constraints = getattr(obj, "_parameter_constraints", None)
            elif callable(obj):
                constraints = getattr(obj, "_skl_parameter_constraints", None)
            else:
                continue
            if not isinstance(constraints, dict) or id(constraints) in seen:
                continue
            seen.add(id(constraints))
            for options in constraints.values():
                if not isinstance(options, list):
                    continue
                for constraint in options:
                    allowed = getattr(constraint, "options", None)
                    if (
                        isinstance(constraint, StrOptions)
                        and isinstance(allowed, set)
                        and marker <= allowed
                        and not set(names) <= allowed
                    ):
                        allowed.update(names)
                        updated += 1
    return updated


def register_scorers():
    """Make ``"ser_wa"`` and ``"ser_ua"`` valid ``scoring=`` strings in scikit-learn.

    scikit-learn resolves scoring strings from a private registry; this adds
    :data:`wa_scorer` and :data:`ua_scorer` to it under the names ``"ser_wa"``
    and ``"ser_ua"``, so that ``cross_val_score``, ``GridSearchCV`` and
    :func:`sklearn.metrics.get_scorer` accept them. scikit-learn also checks
    ``scoring=`` against a copy of the registry's names taken when each of
    its modules was imported; the names are added to those copies too.
    Calling it again does nothing more. ``import sklearn_ser`` calls it.

    If a scikit-learn version no longer has that registry, a warning says so
    and nothing else happens: pass the scorer objects (``scoring=ua_scorer``)
    or resolve names with :func:`sklearn_ser.metrics.get_scorer` instead.

    Returns
    -------
    names : list of str
        The names now registered (empty when the registry was not found).

    See Also
    --------
    get_scorer : Resolve a name, ours or scikit-learn's, without the registry.

    Examples
    --------
    >>> from sklearn.metrics import get_scorer_names
    >>> from sklearn_ser.metrics import register_scorers
    >>> register_scorers()
    ['ser_wa', 'ser_ua']
    >>> "ser_ua" in get_scorer_names()
    True
    """
    registry = _sklearn_scorer_registry()
    if registry is None:
        warnings.warn(
            "scikit-learn's scorer registry (sklearn.metrics._scorer._SCORERS) was not "
            "found in this version, so scoring='ser_wa'/'ser_ua' strings will not be "
            "recognised. The scorer objects still work: pass "
            "scoring=sklearn_ser.metrics.ua_scorer (or wa_scorer), or resolve names with "
            "sklearn_ser.metrics.get_scorer.",
            UserWarning,
            stacklevel=2,
        )
        return []
    for name, scorer in _SER_SCORERS.items():
        if registry.get(name) is not scorer:
            registry[name] = scorer
    try:
        _allow_in_parameter_validation(list(_SER_SCORERS))
    except Exception as exc:  # private API moved: degrade to a warning, never break import
        warnings.warn(
            "'ser_wa'/'ser_ua' were added to scikit-learn's scorer registry, but "
            f"scikit-learn's parameter validation could not be extended ({exc!r}); "
            "functions that validate scoring= may still refuse the strings. The scorer "
            "objects still work: pass scoring=sklearn_ser.metrics.ua_scorer (or wa_scorer).",
            UserWarning,
            stacklevel=2,
        )
    return list(_SER_SCORERS)


def get_scorer(scoring):
    """Resolve a scorer name (ours or scikit-learn's) or pass a scorer through.

    Works whether or not :func:`register_scorers` has run.

    Parameters
    ----------
    scoring : str, callable or None
        ``"ser_wa"``, ``"ser_ua"``, any name of
        :func:`sklearn.metrics.get_scorer_names`, a scorer callable
        ``scorer(estimator, X, y)`` (returned as is) or ``None`` (returned as is).

    Returns
    -------
    scorer : callable or None
        A copy of the named scorer, or ``scoring`` itself.

    Raises
    ------
    ValueError
        If ``scoring`` is an unknown name.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_ser.metrics import get_scorer
    >>> X = np.zeros((4, 1))
    >>> y = ["anger", "anger", "anger", "sadness"]
    >>> clf = DummyClassifier(strategy="most_frequent").fit(X, y)
    >>> get_scorer("ser_wa")(clf, X, y), get_scorer("ser_ua")(clf, X, y)
    (0.75, 0.5)
    >>> get_scorer("accuracy")(clf, X, y)
    0.75
    """
    if isinstance(scoring, str):
        if scoring in _SER_SCORERS:
            return copy.deepcopy(_SER_SCORERS[scoring])
        try:
            return _sklearn_get_scorer(scoring)
        except ValueError:
            raise ValueError(
                f"{scoring!r} is not a valid scoring name. Use 'ser_wa', 'ser_ua' or one "
                "of sklearn.metrics.get_scorer_names()."
            ) from None
    return scoring


# --------------------------------------------------------------------------
# per-emotion report
# --------------------------------------------------------------------------
def _frozen(array):
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False, repr=False)
class EmotionReport:
    """Per-emotion precision, recall, F1-score, confusion matrix, WA and UA.

    Returned by :func:`emotion_report` and
    :func:`sklearn_ser.model_selection.cross_corpus_score`. All arrays are
    read-only and aligned with ``labels``. ``str(report)`` prints the
    per-class table of the papers; :meth:`to_dict` gives plain Python types
    for JSON.

    Parameters
    ----------
    labels : ndarray of shape (n_classes,)
        The emotions, in table order.
    precision, recall, f1 : ndarray of shape (n_classes,)
        Per-emotion scores; 0.0 where undefined (no prediction, no support).
    support : ndarray of shape (n_classes,)
        Number of true utterances of each emotion.
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        Counts; rows are true emotions, columns predicted ones, both in
        ``labels`` order.
    weighted_accuracy : float
        WA, overall accuracy over all scored utterances.
    unweighted_accuracy : float
        UA, mean per-class recall.
    n_samples : int, default=None
        Number of scored utterances; ``None`` means ``support.sum()``.

    Attributes
    ----------
    macro_precision, macro_recall, macro_f1 : float
        Unweighted means over the labels (the papers' "Average" row).

    See Also
    --------
    emotion_report : Build the report from labels and predictions.

    Examples
    --------
    >>> from sklearn_ser.metrics import emotion_report
    >>> report = emotion_report(["anger", "sadness"], ["anger", "anger"])
    >>> report.recall
    array([1., 0.])
    >>> report.to_dict()["unweighted_accuracy"]
    0.5
    """

    labels: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion_matrix: np.ndarray
    weighted_accuracy: float
    unweighted_accuracy: float
    n_samples: int = field(default=None)

    def __post_init__(self):
        for name in ("labels", "precision", "recall", "f1", "support", "confusion_matrix"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "weighted_accuracy", float(self.weighted_accuracy))
        object.__setattr__(self, "unweighted_accuracy", float(self.unweighted_accuracy))
        n_samples = int(self.support.sum()) if self.n_samples is None else int(self.n_samples)
        object.__setattr__(self, "n_samples", n_samples)

    @property
    def macro_precision(self):
        return float(self.precision.mean())

    @property
    def macro_recall(self):
        return float(self.recall.mean())

    @property
    def macro_f1(self):
        return float(self.f1.mean())

    def to_string(self, digits=2):
        """Render the per-emotion table.

        One row per emotion (precision, recall, F1-score, support), the
        unweighted "Average" row of the papers, then WA and UA in percent.

        Parameters
        ----------
        digits : int, default=2
            Decimals of precision, recall and F1-score (the papers use 2).

        Returns
        -------
        str
            The table.

        Examples
        --------
        >>> from sklearn_ser.metrics import emotion_report
        >>> y_true = ["anger", "anger", "anger", "sadness"]
        >>> y_pred = ["anger", "anger", "sadness", "sadness"]
        >>> print(emotion_report(y_true, y_pred).to_string())
        Emotion  Precision   Recall   F1-score   Support
        anger         1.00     0.67       0.80         3
        sadness       0.50     1.00       0.67         1
        Average       0.75     0.83       0.73         4
        <BLANKLINE>
        Overall accuracy (WA): 75.00 %
        Mean class recall (UA): 83.33 %
        """
        names = [str(label) for label in self.labels.tolist()]
        first = max([len("Emotion"), len("Average")] + [len(n) for n in names])
        width = max(digits + 3, 9)
        head = (
            f"{'Emotion':<{first}}  {'Precision':>{width}}{'Recall':>{width}}"
            f"{'F1-score':>{width + 2}}{'Support':>{width + 1}}"
        )

        def row(name, p, r, f, s):
            return (
                f"{name:<{first}}  {p:>{width}.{digits}f}{r:>{width}.{digits}f}"
                f"{f:>{width + 2}.{digits}f}{s:>{width + 1}d}"
            )

        lines = [head]
        for name, p, r, f, s in zip(names, self.precision, self.recall, self.f1, self.support):
            lines.append(row(name, p, r, f, int(s)))
        lines.append(
            row(
                "Average",
                self.macro_precision,
                self.macro_recall,
                self.macro_f1,
                int(self.support.sum()),
            )
        )
        lines.append("")
        lines.append(f"Overall accuracy (WA): {100 * self.weighted_accuracy:.2f} %")
        lines.append(f"Mean class recall (UA): {100 * self.unweighted_accuracy:.2f} %")
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self):
        return self.to_string()

    def __repr__(self):
        return (
            f"EmotionReport(n_classes={self.labels.shape[0]}, n_samples={self.n_samples}, "
            f"weighted_accuracy={self.weighted_accuracy:.4f}, "
            f"unweighted_accuracy={self.unweighted_accuracy:.4f})"
        )

    def to_dict(self):
        """Return the report as a JSON-serialisable dict of plain Python types.

        Returns
        -------
        dict
            Keys ``labels``, ``precision``, ``recall``, ``f1``, ``support``
            (lists aligned with ``labels``), ``confusion_matrix`` (list of
            rows), ``weighted_accuracy``, ``unweighted_accuracy``,
            ``n_samples`` and ``macro_avg`` (dict of ``precision``,
            ``recall``, ``f1``).

        Examples
        --------
        >>> import json
        >>> from sklearn_ser.metrics import emotion_report
        >>> d = emotion_report(["anger", "sadness"], ["anger", "anger"]).to_dict()
        >>> d["labels"], d["confusion_matrix"]
        (['anger', 'sadness'], [[1, 0], [1, 0]])
        >>> len(json.dumps(d)) > 0
        True
        """
        return {
            "labels": self.labels.tolist(),
            "precision": [float(v) for v in self.precision],
            "recall": [float(v) for v in self.recall],
            "f1": [float(v) for v in self.f1],
            "support": [int(v) for v in self.support],
            "confusion_matrix": [[int(v) for v in row] for row in self.confusion_matrix],
            "weighted_accuracy": self.weighted_accuracy,
            "unweighted_accuracy": self.unweighted_accuracy,
            "n_samples": self.n_samples,
            "macro_avg": {
                "precision": self.macro_precision,
                "recall": self.macro_recall,
                "f1": self.macro_f1,
            },
        }


def emotion_report(y_true, y_pred, *, labels=None):
    """Per-emotion precision, recall, F1-score and support, with WA and UA.

    The report the papers print as their per-class tables (for example
    Tables 4-6 of the VACNN+BOVW paper) together with the confusion matrix
    (Tables 7-9), the overall accuracy (WA) and the mean class recall (UA).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotion labels.
    y_pred : array-like of shape (n_samples,)
        Predicted emotion labels.
    labels : array-like, default=None
        The emotions to report, in this order. ``None`` uses every label in
        ``y_true`` or ``y_pred``, ordered as
        :data:`sklearn_ser.CANONICAL_EMOTIONS` when they are all canonical
        names, sorted otherwise. Utterances whose true or predicted label is
        not in ``labels`` are left out of the confusion matrix, but still
        count as a miss for the recall of their true class, or as a false
        alarm for the precision of their predicted class (as in
        :func:`sklearn.metrics.precision_recall_fscore_support`).

    Returns
    -------
    EmotionReport
        Arrays aligned with ``labels``. ``weighted_accuracy`` is computed over
        all utterances; ``unweighted_accuracy`` averages the recall over the
        classes present in ``y_true`` (or over ``labels`` when given), so a
        class that was only ever predicted does not lower it. Undefined
        ratios (a class never predicted, never true) are 0.0, without warnings.

    See Also
    --------
    weighted_accuracy, unweighted_accuracy
    sklearn.metrics.classification_report : scikit-learn's text report.

    Examples
    --------
    >>> from sklearn_ser.metrics import emotion_report
    >>> y_true = ["sadness", "anger", "anger", "anger", "neutral"]
    >>> y_pred = ["sadness", "anger", "anger", "neutral", "sadness"]
    >>> report = emotion_report(y_true, y_pred)
    >>> report.labels.tolist()
    ['anger', 'neutral', 'sadness']
    >>> report.confusion_matrix
    array([[2, 1, 0],
           [0, 0, 1],
           [0, 0, 1]])
    >>> round(report.weighted_accuracy, 4), round(report.unweighted_accuracy, 4)
    (0.6, 0.5556)
    >>> print(report)
    Emotion  Precision   Recall   F1-score   Support
    anger         1.00     0.67       0.80         3
    neutral       0.00     0.00       0.00         1
    sadness       0.50     1.00       0.67         1
    Average       0.50     0.56       0.49         5
    <BLANKLINE>
    Overall accuracy (WA): 60.00 %
    Mean class recall (UA): 55.56 %
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    given = labels is not None
    if given:
        labels = _check_labels(labels)
        unique_labels(y_true, labels)  # same label type as the data
    else:
        labels = _emotion_order(np.concatenate([y_true, y_pred]))
    cm, support, predicted = _counts(y_true, y_pred, labels)
    tp = np.diag(cm)
    precision = _safe_divide(tp, predicted)
    recall = _safe_divide(tp, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return EmotionReport(
        labels=labels,
        precision=precision,
        recall=recall,
        f1=f1,
        support=support,
        confusion_matrix=cm,
        weighted_accuracy=weighted_accuracy(y_true, y_pred),
        unweighted_accuracy=unweighted_accuracy(y_true, y_pred, labels=labels if given else None),
        n_samples=y_true.shape[0],
    )
