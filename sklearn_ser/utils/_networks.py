"""Finding the neural networks inside an estimator.

Saving a model, explaining a prediction and reporting a training run all need the
skorch networks a fitted estimator holds: at the end of a pipeline, inside a
search's ``best_estimator_`` or a ``FrozenEstimator``, or anywhere in a
composite (a stacking ensemble, a column transformer). They walk the estimator
the same way, here.
"""

from sklearn.base import BaseEstimator

__all__ = ["final_network", "is_network", "iter_networks", "unwrap_estimator"]


def is_network(obj, *, fitted=False):
    """Whether ``obj`` is a skorch network (fitted, with ``fitted=True``)."""
    from skorch import NeuralNet

    return isinstance(obj, NeuralNet) and (not fitted or bool(getattr(obj, "initialized_",
                                                                          False)))


def iter_networks(obj, *, select=None, path="estimator", _seen=None):
    """Yield ``(path, net)`` for every network inside ``obj`` that ``select`` accepts.

    Walks estimators' attributes (pipeline steps, ``best_estimator_``,
    ``FrozenEstimator.estimator``...), lists, tuples and dicts, depth first
    in attribute order, so the same structure always yields the same order;
    each object is visited once. A network's own attributes are not searched.

    Parameters
    ----------
    obj : object
    select : callable, optional
        ``select(obj) -> bool``; by default fitted skorch networks.
    path : str, default="estimator"
        How ``obj`` itself is named in the paths.

    Yields
    ------
    path : str
        E.g. ``"estimator.steps[1][1]"``.
    net : skorch.NeuralNet

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> list(iter_networks(make_pipeline(StandardScaler())))
    []
    """
    if select is None:
        def select(candidate):
            return is_network(candidate, fitted=True)
    seen = set() if _seen is None else _seen
    if id(obj) in seen:
        return
    if select(obj):
        seen.add(id(obj))
        yield path, obj
        return
    if isinstance(obj, BaseEstimator):
        seen.add(id(obj))
        for key, value in vars(obj).items():
            yield from iter_networks(value, select=select, path=f"{path}.{key}", _seen=seen)
    elif isinstance(obj, (list, tuple)):
        seen.add(id(obj))
        for i, value in enumerate(obj):
            yield from iter_networks(value, select=select, path=f"{path}[{i}]", _seen=seen)
    elif isinstance(obj, dict):
        seen.add(id(obj))
        for key, value in obj.items():
            yield from iter_networks(value, select=select, path=f"{path}[{key!r}]",
                                     _seen=seen)


def unwrap_estimator(estimator):
    """The estimator inside a fitted search (``best_estimator_``) or a ``FrozenEstimator``.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> scaler = StandardScaler()
    >>> unwrap_estimator(scaler) is scaler
    True
    """
    from sklearn.frozen import FrozenEstimator

    for _ in range(8):  # nested searches are rare; a cycle must not hang
        if hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif isinstance(estimator, FrozenEstimator):
            estimator = estimator.estimator
        else:
            break
    return estimator


def final_network(estimator):
    """The network at the end of ``estimator`` (a pipeline, search or the network itself).

    Returns ``None`` when the final step is not a skorch network.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> final_network(StandardScaler()) is None
    True
    """
    estimator = unwrap_estimator(estimator)
    if hasattr(estimator, "steps"):
        estimator = unwrap_estimator(estimator.steps[-1][1])
    return estimator if is_network(estimator) else None
