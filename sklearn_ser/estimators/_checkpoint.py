"""Resume an interrupted training run exactly where it stopped.

skorch's own pattern, ``Checkpoint`` + ``LoadInitState``, restores the
weights, the optimizer and the history, but a run resumed that way does not
continue as the uninterrupted run would have:

- the random number generator starts again from ``random_state``, so the
  batches of epoch *k + 1* are shuffled like those of epoch 1;
- the learning-rate scheduler and early stopping restart from scratch (the
  step schedule counts from the resumed epoch, the patience counter and the
  best weights are lost);
- ``fit`` trains ``max_epochs`` *more* epochs instead of the remaining ones;
- the files are written one after another in place, so a kill during a save
  can leave weights of one epoch next to the history of another, and
  ``LoadInitState`` silently ignores a checkpoint it cannot load.

:class:`ResumableCheckpoint` saves all of that state after every epoch, in
one file written atomically (temporary file, then rename), loadable with
``torch.load(..., weights_only=True)``. A later ``fit`` with the same
callback resumes from it and stops after ``max_epochs`` epochs in total:
with ``random_state`` set, the result on CPU is identical to an uninterrupted
run.
"""

import hashlib
import json
import os

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from skorch.history import History

from ..utils._files import write_atomically

__all__ = ["ResumableCheckpoint", "load_training_state"]

#: Bump when the layout of the state file changes.
_FORMAT_VERSION = 1


def load_training_state(path, map_location="cpu"):
    """Read a state file written by :class:`ResumableCheckpoint`, without pickle.

    The file is loaded with ``torch.load(..., weights_only=True)``: it holds
    only tensors, numbers, strings and containers of them, so loading a file
    of unknown origin cannot run code.

    Parameters
    ----------
    path : str or os.PathLike
        The state file.
    map_location : str or torch.device, default="cpu"
        Where to put the tensors.

    Returns
    -------
    state : dict
        With the keys ``"format"``, ``"epoch"`` (epochs completed),
        ``"modules"``, ``"optimizers"``, ``"criteria"`` (state dicts by
        attribute name, e.g. ``"module_"``), ``"history"`` (skorch history as
        JSON text), ``"callbacks"`` (per callback name), ``"rng"`` and
        ``"fingerprint"``.

    Raises
    ------
    ValueError
        If the file is not a state file of this format; the message says to
        delete it to start a new run.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> folder = tempfile.mkdtemp()
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 16, 16)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 4)
    >>> clf = VACNNClassifier(max_epochs=2, train_split=None, random_state=0,
    ...                       callbacks=[("resume", ResumableCheckpoint(folder))]).fit(X, y)
    >>> state = load_training_state(ResumableCheckpoint(folder).path)
    >>> state["epoch"], sorted(state["modules"])
    (2, ['module_'])
    """
    path = os.fspath(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many kinds (UnpicklingError, RuntimeError, ...)
        raise ValueError(
            f"Cannot load the training state {path!r} ({type(exc).__name__}: {exc}). It is "
            "not a ResumableCheckpoint file, or holds objects that need pickle; delete it to "
            "start a new run."
        ) from exc
    if not isinstance(state, dict) or state.get("format") != _FORMAT_VERSION:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"{path!r} is not a ResumableCheckpoint state file of format {_FORMAT_VERSION} "
            f"(found {found!r}); delete it to start a new run."
        )
    return state


def _json_default(value):
    if isinstance(value, (np.generic, torch.Tensor)):
        return value.item()
    raise TypeError(f"{type(value).__name__} in the history is not JSON serialisable")


def _fingerprint(X, y):
    """Digest of the training labels and of the shapes of ``X``: catches a resume on other data."""
    h = hashlib.blake2b(digest_size=12)
    arrays = X.values() if isinstance(X, dict) else [X]
    for array in arrays:
        h.update(repr(tuple(np.shape(array))).encode())
    if y is not None:
        h.update(np.ascontiguousarray(np.asarray(y)).tobytes())
    return h.hexdigest()


def _callback_state(callback):
    """The state a callback rebuilds at ``on_train_begin``, for the callbacks that have any."""
    if isinstance(callback, LRScheduler) and callback.lr_scheduler_ is not None:
        return {"lr_scheduler": callback.lr_scheduler_.state_dict(),
                "batch_idx": int(callback.batch_idx_)}
    if isinstance(callback, EarlyStopping):
        return {"misses": int(callback.misses_),
                "dynamic_threshold": float(callback.dynamic_threshold_),
                "best_epoch": int(callback.best_epoch_),
                "best_model_weights": callback.best_model_weights_}
    if hasattr(callback, "best_score_"):  # skorch scoring callbacks
        return {"best_score": float(callback.best_score_)}
    return None


def _restore_callback(callback, state):
    if "lr_scheduler" in state and isinstance(callback, LRScheduler):
        callback.lr_scheduler_.load_state_dict(state["lr_scheduler"])
        callback.batch_idx_ = state["batch_idx"]
    elif "misses" in state and isinstance(callback, EarlyStopping):
        callback.misses_ = state["misses"]
        callback.dynamic_threshold_ = state["dynamic_threshold"]
        callback.best_epoch_ = state["best_epoch"]
        callback.best_model_weights_ = state["best_model_weights"]
    elif "best_score" in state and hasattr(callback, "best_score_"):
        callback.best_score_ = state["best_score"]


def _cuda_index(net):
    device = torch.device(net.device)
    if device.type == "cuda" and torch.cuda.is_available():
        return device.index if device.index is not None else torch.cuda.current_device()
    return None


class ResumableCheckpoint(Callback):
    """Save the whole training state every epoch; resume from it on the next ``fit``.

    Add it as the **last** callback of a
    :class:`~sklearn_ser.estimators.SERNetClassifier` (or any skorch net).
    After each epoch it writes one file, ``<dirname>/<filename>``, holding
    the weights, optimizer and criterion state, the history, the state of
    the learning-rate scheduler, of early stopping (patience counter, best
    weights) and of the scoring callbacks, and the torch random number
    generator state. If a run is killed, fitting again with the same
    callback (a new estimator with the same parameters, in a new process)
    loads that file at the start of training, continues with the next epoch,
    and stops once ``max_epochs`` epochs have been run in total.

    Parameters
    ----------
    dirname : str or os.PathLike
        Folder of the state file; created when needed. Use one folder per
        training run: two runs sharing it would resume each other.
    filename : str, default="training_state.pt"
        Name of the state file.
    resume : bool, default=True
        Load an existing state file at the start of ``fit``. With False the
        file is only written (and overwritten by the new run).

    Attributes
    ----------
    resumed_from_ : int or None
        Number of epochs loaded from the state file by the last ``fit``;
        ``None`` when it started from scratch.

    See Also
    --------
    load_training_state : Read the state file (``weights_only=True``).
    skorch.callbacks.TrainEndCheckpoint : Save the final weights with
        ``save_params``, e.g. for
        :func:`~sklearn_ser.estimators.load_encoder_state`.

    Notes
    -----
    **Reproducibility.** With ``random_state`` set, a run resumed after a
    kill gives, on CPU, the same weights, history and predictions as the run
    that was never interrupted (``tests/reliability/test_interrupted.py``).
    Training after the last completed epoch is repeated: a kill mid-epoch
    loses that epoch. On CUDA, the random state is restored too, but cuDNN
    kernels are not bit-reproducible unless deterministic algorithms are
    enforced (see ``docs/reliability.md``).

    **Safety.** The file is written to a temporary name in ``dirname`` and
    renamed over the previous one, so a kill during a save leaves the
    previous epoch's complete state. It is read with
    ``torch.load(weights_only=True)``, which never runs pickled code. A state
    file written for other training data (different labels or input shapes)
    is refused with an error instead of being resumed.

    **Order of callbacks.** It restores other callbacks' state when training
    begins, so it must come after them: default callbacks always do; put it
    last among your own.

    **Cross-validation.** Each fit of a cross-validation or grid search
    would share ``dirname``: use it for single long runs, not inside
    ``cross_val_score``.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 16, 16)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 4)
    >>> folder = tempfile.mkdtemp()
    >>> def make():
    ...     return VACNNClassifier(max_epochs=3, train_split=None, random_state=0,
    ...                            callbacks=[("resume", ResumableCheckpoint(folder))])
    >>> first = make().fit(X, y)          # imagine this process was killed after epoch 3
    >>> again = make().fit(X, y)          # resumes: nothing left to train
    >>> dict(again.callbacks_)["resume"].resumed_from_, len(again.history)
    (3, 3)
    >>> bool(np.array_equal(first.predict_proba(X), again.predict_proba(X)))
    True
    """

    def __init__(self, dirname, *, filename="training_state.pt", resume=True):
        self.dirname = dirname
        self.filename = filename
        self.resume = resume

    @property
    def path(self):
        """Path of the state file."""
        return os.path.join(os.fspath(self.dirname), self.filename)

    def initialize(self):
        self.resumed_from_ = None
        self._loaded = False
        self._stop_after = None
        self._fingerprint = None
        return self

    # -- training events -------------------------------------------------------------------
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._fingerprint = _fingerprint(X, y)
        self._stop_after = None
        if self._loaded or not self.resume:
            return  # partial_fit after fit, or resume disabled
        self._loaded = True
        if not os.path.exists(self.path):
            return
        # On the CPU: random states must be CPU tensors, and load_state_dict moves the rest.
        state = load_training_state(self.path, map_location="cpu")
        if state["fingerprint"] != self._fingerprint:
            raise ValueError(
                f"The training state {self.path!r} was written while training on other data "
                "(different labels or input shapes), so it cannot be resumed here. Delete it, "
                "or give ResumableCheckpoint another dirname, to start a new run."
            )
        self._restore(net, state)
        self.resumed_from_ = int(state["epoch"])
        self._stop_after = int(net.max_epochs)

    def on_epoch_begin(self, net, **kwargs):
        # A resumed fit still loops max_epochs times: stop once max_epochs are done in total.
        if self._stop_after is not None and len(net.history) > self._stop_after:
            del net.history[-1]  # the row skorch opened for this epoch
            raise KeyboardInterrupt  # skorch's way to end training early (as EarlyStopping)

    def on_epoch_end(self, net, **kwargs):
        self.save(net)

    def on_train_end(self, net, **kwargs):
        self._stop_after = None

    # -- state -----------------------------------------------------------------------------
    def state(self, net):
        """Everything needed to continue training ``net`` after the current epoch.

        Returns
        -------
        state : dict
            See :func:`load_training_state`.
        """
        callbacks = {}
        for name, callback in net.callbacks_:
            if callback is self:
                continue
            cb_state = _callback_state(callback)
            if cb_state is not None:
                callbacks[name] = cb_state
        rng = {"cpu": torch.get_rng_state()}
        cuda = _cuda_index(net)
        if cuda is not None:
            rng["cuda"] = torch.cuda.get_rng_state(cuda)
        return {
            "format": _FORMAT_VERSION,
            "epoch": len(net.history),
            "modules": {f"{n}_": getattr(net, f"{n}_").state_dict() for n in net._modules},
            "optimizers": {f"{n}_": getattr(net, f"{n}_").state_dict()
                           for n in net._optimizers},
            "criteria": {f"{n}_": getattr(net, f"{n}_").state_dict() for n in net._criteria},
            "history": json.dumps(net.history.to_list(), default=_json_default),
            "callbacks": callbacks,
            "rng": rng,
            "fingerprint": self._fingerprint,
        }

    def save(self, net):
        """Write the state of ``net`` atomically to :attr:`path`."""
        state = self.state(net)
        folder = os.fspath(self.dirname)
        os.makedirs(folder, exist_ok=True)
        write_atomically(self.path, lambda fh: torch.save(state, fh),
                         prefix=f".{self.filename}.", fsync=True)

    def _restore(self, net, state):
        for key in ("modules", "optimizers", "criteria"):
            for attr, attr_state in state[key].items():
                if not hasattr(net, attr):
                    raise ValueError(
                        f"The training state {self.path!r} holds {attr!r}, which this network "
                        "does not have; it was written by another kind of estimator. Delete it "
                        "to start a new run."
                    )
                getattr(net, attr).load_state_dict(attr_state)
        net.history = History(json.loads(state["history"]))
        for name, callback in net.callbacks_:
            if name in state["callbacks"]:
                _restore_callback(callback, state["callbacks"][name])
        torch.set_rng_state(state["rng"]["cpu"])
        cuda = _cuda_index(net)
        if cuda is not None and "cuda" in state["rng"]:
            torch.cuda.set_rng_state(state["rng"]["cuda"], cuda)
