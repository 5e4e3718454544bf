"""The skorch base shared by the toolkit's neural classifiers.

:class:`SERNetClassifier` adds to :class:`skorch.NeuralNetClassifier` what a
scikit-learn user expects from a classifier and what the papers' training
recipes need:

- **any labels**: ``y`` may hold strings (``"anger"``...); they are encoded
  internally, ``classes_`` holds the original labels and ``predict`` returns
  them, so sklearn scorers and :func:`~sklearn_ser.metrics.emotion_report`
  work unchanged;
- ``device="auto"``: CUDA when available, else CPU; ``get_params`` and
  ``clone`` keep ``"auto"`` so a model trained on a GPU machine can be cloned
  or loaded on a CPU one;
- training batches are reshuffled every epoch (``iterator_train__shuffle=True``
  by default; skorch's own default is ``False``);
- ``random_state``: seeds weight initialisation, shuffling and the internal
  validation split inside :func:`torch.random.fork_rng`, so the caller's
  global RNG state is left as it was;
- ``train_split="auto"``: a stratified internal validation split of
  ``valid_fraction`` for early stopping (plain shuffled when the training set
  is too small to stratify, e.g. inside a tiny grid search);
- default callbacks ``lr_scheduler`` (StepLR) and ``early_stopping``
  (monitors validation accuracy, restores the best epoch's weights), set like
  any skorch callback: ``callbacks__early_stopping__patience=3``, or disabled
  with ``callbacks__early_stopping=None``;
- ``refit_full=True``: once early stopping has picked the best epoch on the
  internal validation split, train again from the same initial weights on
  all of the training data for that many epochs (the validation part is
  not wasted);
- module arguments that depend on the data (``n_classes``, and any others a
  subclass names in :meth:`_infer_module_params`) are filled in at fit time
  unless given as ``module__...``;
- batches reach the network through one function,
  :func:`~sklearn_ser.utils.device.to_device`, whatever their layout (tensors,
  dicts of tensors, padded batches with lengths);
- speed and reproducibility options, all off (or a no-op on the CPU) by
  default: ``compile``, ``data_on_device``, ``amp``, ``channels_last`` and
  ``deterministic`` (see :mod:`sklearn_ser.estimators._performance`).
"""

import contextlib
import copy
import warnings

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping, EpochScoring, LRScheduler
from skorch.dataset import ValidSplit
from torch.utils.data import DataLoader

from ..utils.device import to_device
from ._device_data import device_batches, resolve_data_on_device
from ._performance import (
    autocast_dtype,
    channels_last,
    check_compile,
    clone_outputs,
    deterministic_algorithms,
    to_float32,
    uses_cudagraphs,
)

__all__ = ["SERNetClassifier", "resolve_device"]


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when a CUDA device is available, else ``"cpu"``.

    Any other value is returned unchanged.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in ("cpu", "cuda")
    True
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


#: The speed and reproducibility options and their defaults (also for unpickling estimators
#: saved before an option existed).
_OPTION_DEFAULTS = {"compile": False, "data_on_device": "auto", "amp": False,
                    "channels_last": False, "deterministic": False}


def _encoded_accuracy(net, X, y):
    """Accuracy of the arg-max of ``predict_proba`` against integer-encoded ``y``."""
    y_pred = net.predict_proba(X).argmax(axis=1)
    return float(np.mean(y_pred == np.asarray(y)))


class SERNetClassifier(NeuralNetClassifier):
    """skorch classifier with string labels, ``device="auto"`` and seeding.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Network returning logits; it must accept ``n_classes`` (filled in from
        ``y`` unless ``module__n_classes`` is given).
    criterion : torch criterion class, default=torch.nn.CrossEntropyLoss
    optimizer : torch optimizer class, default=torch.optim.Adam
    lr : float, default=1e-3
    max_epochs : int, default=30
    batch_size : int, default=8
    train_split : "auto", None or callable, default="auto"
        ``"auto"``: stratified hold-out of ``valid_fraction`` of the training
        data for early stopping and model selection. ``None``: no validation
        (early stopping is then skipped). Any skorch ``train_split`` callable
        also works.
    valid_fraction : float, default=0.2
        Size of the ``"auto"`` validation split.
    refit_full : bool, default=False
        Retrain on the whole training set once the number of epochs is
        chosen. ``fit`` first trains with early stopping on the internal
        validation split as usual; it then starts again from the same
        initial weights (the same ``random_state`` draws; pretrained weights
        copied again) and trains on all of ``X``, validation part included,
        for ``best_epoch_`` epochs, with the same learning-rate schedule and
        no validation (Goodfellow, Bengio and Courville, *Deep Learning*,
        2016, section 7.8, algorithm 7.2). About twice the training time;
        the network kept is the one of the second run. Needs a validation
        split (``train_split`` not ``None``) and the ``early_stopping``
        callback; cannot be combined with
        :class:`~sklearn_ser.estimators.ResumableCheckpoint`.
    lr_step_size : int, default=10
        Epochs between learning-rate decays (StepLR) of the default
        ``lr_scheduler`` callback.
    lr_gamma : float, default=0.1
        Decay factor of the default ``lr_scheduler`` callback.
    patience : int, default=10
        Epochs without validation-accuracy improvement before the default
        ``early_stopping`` callback stops training; the best epoch's
        weights are restored in every case.
    device : str, default="auto"
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    random_state : int or None, default=None
        Seed for initialisation, shuffling and the validation split.
    verbose : int, default=0
        Print skorch's epoch table when > 0.
    compile : bool or str, default=False
        ``True`` or a :func:`torch.compile` mode (``"default"``,
        ``"reduce-overhead"`` (CUDA graphs on a GPU), ``"max-autotune"``,
        ``"max-autotune-no-cudagraphs"``): compile the network when it is
        built. It is compiled in place (:meth:`torch.nn.Module.compile`), so
        ``state_dict`` keys, saved parameter files, pickles and clones are
        those of the eager network; an unpickled estimator compiles again.
        Other ``torch.compile`` arguments: ``compile__dynamic=True``...
        Compiling takes seconds to minutes once per ``fit``; it pays on a GPU
        at small batches (launch-bound), rarely on a CPU.
    data_on_device : "auto", bool, default="auto"
        Copy fixed-shape training, validation and prediction arrays to the
        device once and cut batches there by indexing (when they take at most
        a quarter of the free device memory); otherwise, on CUDA, batches
        come from pinned memory with non-blocking copies. ``"auto"``: on CUDA
        only (a no-op on the CPU); ``True`` also on the CPU; ``False``:
        skorch's own ``DataLoader`` path. Shuffling stays seeded by
        ``random_state`` but draws batches in another order than the
        ``DataLoader`` path.
    amp : bool, default=False
        Autocast the forward pass to bfloat16 (CPU, or an Ampere-or-newer
        GPU); weights, optimiser and loss stay float32.
    channels_last : bool, default=False
        Keep the network's 4-D weights and 4-D input batches in channels-last
        memory format.
    deterministic : bool, default=False
        During ``fit``, ``partial_fit`` and prediction, use deterministic
        algorithms only (cuDNN deterministic, no cuDNN benchmarking,
        ``torch.use_deterministic_algorithms(True)``,
        ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless set, seeded ``DataLoader``
        generator), so that two CUDA runs with the same ``random_state``
        give bit-identical weights and predictions; the global torch flags
        are restored afterwards. An operation without a deterministic CUDA
        implementation then raises. On the CPU runs are deterministic
        anyway. The cost on a GPU is not measured yet
        (``benchmarks/gpu_check.py`` measures it).
    **kwargs
        Any other :class:`skorch.NeuralNetClassifier` argument, including
        ``module__*``, ``optimizer__*``, ``callbacks__*``, ``compile__*``
        and ``iterator_*``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit``, in sorted order.
    module_ : torch.nn.Module
        The trained network.
    history_ : skorch.History
        Per-epoch losses and accuracies (also ``history``). With
        ``refit_full=True``, those of the run on the whole training set (no
        validation columns).
    best_epoch_ : int
        Only with ``refit_full=True``: the epoch (counted from 1) that early
        stopping picked, i.e. the length of the second run.
    selection_history_ : skorch.History
        Only with ``refit_full=True``: the history of the first run, with
        the validation scores that chose ``best_epoch_``.
    """

    def __init__(self, module, *, criterion=torch.nn.CrossEntropyLoss,
                 optimizer=torch.optim.Adam, lr=1e-3, max_epochs=30, batch_size=8,
                 train_split="auto", valid_fraction=0.2, refit_full=False, lr_step_size=10,
                 lr_gamma=0.1, patience=10, device="auto", random_state=None, verbose=0,
                 compile=False, data_on_device="auto", amp=False, channels_last=False,
                 deterministic=False, **kwargs):
        # skorch's DataLoader does not shuffle by default; training batches drawn in corpus
        # order (RAVDESS files are sorted by emotion within an actor) train badly.
        kwargs.setdefault("iterator_train__shuffle", True)
        super().__init__(module, criterion=criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size, train_split=train_split,
                         device=device, verbose=verbose, compile=compile, **kwargs)
        self.valid_fraction = valid_fraction
        self.refit_full = refit_full
        self.lr_step_size = lr_step_size
        self.lr_gamma = lr_gamma
        self.patience = patience
        self.random_state = random_state
        self.data_on_device = data_on_device
        self.amp = amp
        self.channels_last = channels_last
        self.deterministic = deterministic

    # -- device="auto" ---------------------------------------------------------------------
    # skorch reads ``self.device`` in many places; a data descriptor lets all of them see
    # the resolved device while get_params()/clone() keep the user's "auto".
    @property
    def device(self):
        return resolve_device(self.__dict__.get("device", "auto"))

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def __setstate__(self, state):
        # skorch maps the pickled tensors to ``state["device"]``: resolve "auto" for it (a
        # CUDA-trained net unpickles on a CPU-only machine), then keep the user's value.
        requested = state.get("device", "auto")
        state["device"] = resolve_device(requested)
        for name, default in _OPTION_DEFAULTS.items():  # pickled before the option existed
            state.setdefault(name, default)
        super().__setstate__(state)
        self.__dict__["device"] = requested
        # Pickles hold the eager network (torch drops the compiled call): compile it again.
        if self.__dict__.get("initialized_", False):
            for name in self._modules:
                module = getattr(self, name + "_", None)
                if isinstance(module, torch.nn.Module):
                    self.torch_compile(module, name=name)

    # -- speed options ---------------------------------------------------------------------
    def torch_compile(self, module, name):
        """Compile ``module`` in place when ``compile`` is set (networks only, not losses).

        In place (:meth:`torch.nn.Module.compile`) rather than wrapped
        (:func:`torch.compile`): the module keeps its class and its
        ``state_dict`` keys, so parameter files of compiled and eager
        networks are interchangeable.
        """
        mode = check_compile(self.compile)
        if mode is None or name not in self._modules or not isinstance(module, torch.nn.Module):
            return module
        if not hasattr(torch, "compile"):  # pragma: no cover - torch < 2.0
            raise RuntimeError(
                f"compile={self.compile!r} needs torch.compile (torch >= 2.0); torch "
                f"{torch.__version__} has none. Use compile=False."
            )
        kwargs = self.get_params_for("compile")
        if mode != "default":
            kwargs.setdefault("mode", mode)
        module.compile(**kwargs)
        return module

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        for key, value in getattr(self, "inferred_module_params_", {}).items():
            kwargs.setdefault(key, value)
        self.module_ = self.initialized_instance(self.module, kwargs)
        if self.channels_last:
            self.module_ = self.module_.to(memory_format=torch.channels_last)
        return self

    def _non_blocking(self):
        return torch.device(self.device).type == "cuda"

    def infer(self, x, **fit_params):
        """Run the network on batch ``x``, moved to its device (any nesting of tensors).

        Applies the ``channels_last`` and ``amp`` options; with a CUDA-graph
        ``compile`` mode, marks a new step and returns copies of the outputs
        (a graph replay overwrites its previous outputs).
        """
        device = self.device
        x = to_device(x, device, non_blocking=self._non_blocking())
        if self.channels_last:
            x = channels_last(x)
        cudagraphs = uses_cudagraphs(self.compile, device)
        if cudagraphs:
            torch.compiler.cudagraph_mark_step_begin()
        dtype = autocast_dtype(device, self.amp)
        context = (contextlib.nullcontext() if dtype is None
                   else torch.autocast(device_type=torch.device(device).type, dtype=dtype))
        with context:
            out = super().infer(x, **fit_params)
        if dtype is not None:
            out = to_float32(out)
        return clone_outputs(out) if cudagraphs else out

    def get_iterator(self, dataset, training=False):
        """Batches of ``dataset``: from a device copy when ``data_on_device`` allows it.

        Otherwise skorch's iterator (``iterator_train`` / ``iterator_valid``),
        with pinned memory on CUDA and, with ``deterministic=True``, an
        explicitly seeded generator for shuffling and worker seeds.
        """
        if training:
            kwargs = self.get_params_for("iterator_train")
            iterator = self.iterator_train
        else:
            kwargs = self.get_params_for("iterator_valid")
            iterator = self.iterator_valid
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        is_loader = isinstance(iterator, type) and issubclass(iterator, DataLoader)
        if training and self.deterministic and is_loader and "generator" not in kwargs:
            # Drawn from the global generator, which fit() seeds from random_state.
            seed = int(torch.randint(0, 2 ** 62, (), dtype=torch.int64))
            kwargs["generator"] = torch.Generator().manual_seed(seed)
        batches = device_batches(dataset, self.device, iterator, kwargs, self.data_on_device)
        if batches is not None:
            return batches
        if (is_loader and self._non_blocking() and "pin_memory" not in kwargs
                and resolve_data_on_device(self.data_on_device, self.device)):
            kwargs["pin_memory"] = True
        return iterator(dataset, **kwargs)

    def _check_options(self):
        check_compile(self.compile)
        resolve_data_on_device(self.data_on_device, self.device)
        autocast_dtype(self.device, self.amp)
        for name in ("channels_last", "deterministic"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}.")

    def forward_iter(self, X, training=False, device="cpu"):
        with deterministic_algorithms(self.deterministic):
            yield from super().forward_iter(X, training=training, device=device)

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        if "device" in params:
            params["device"] = self.__dict__.get("device", "auto")
        return params

    # -- callbacks ---------------------------------------------------------------------------
    @property
    def _default_callbacks(self):
        callbacks = []
        for name, callback in super()._default_callbacks:
            if name == "valid_acc":
                callback = EpochScoring(_encoded_accuracy, name="valid_acc",
                                        lower_is_better=False, on_train=False)
            callbacks.append((name, callback))
        callbacks.append(("lr_scheduler", LRScheduler(
            policy=torch.optim.lr_scheduler.StepLR, step_size=self.lr_step_size,
            gamma=self.lr_gamma)))
        if self.train_split is not None:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_acc", lower_is_better=False, patience=self.patience,
                threshold=0.0, load_best=True)))
        return callbacks

    # -- validation split --------------------------------------------------------------------
    def get_split_datasets(self, X, y=None, **fit_params):
        # The second run of refit_full trains on everything. A subclass that overrides this
        # method must defer to it (or return (dataset, None)) while ``refitting_full_`` is set.
        if getattr(self, "refitting_full_", False):
            return self.get_dataset(X, y), None
        if not (isinstance(self.train_split, str) and self.train_split == "auto"):
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        y_arr = np.asarray(y)
        n_valid = int(np.ceil(self.valid_fraction * len(y_arr)))
        counts = np.bincount(y_arr) if y_arr.size else np.array([])
        counts = counts[counts > 0]
        stratified = counts.size > 0 and counts.min() >= 2 and n_valid >= counts.size
        split = ValidSplit(self.valid_fraction, stratified=stratified,
                           random_state=self.random_state)
        return split(dataset, y_arr)

    # -- labels and data-dependent module arguments ------------------------------------------
    def _infer_module_params(self, X, y):
        """Module arguments derived from the training data (``module__*`` overrides)."""
        return {"n_classes": len(self.classes_)}

    @property
    def classes_(self):
        try:
            return self.label_encoder_.classes_
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} is not fitted yet: call fit(X, y) first."
            ) from None

    def fit(self, X, y, **fit_params):
        """Train the network on ``X`` and labels ``y`` (any hashable labels).

        Parameters
        ----------
        X : array-like or dict of array-like
            Network input, e.g. images ``(n, 1, H, W)``.
        y : array-like of shape (n_samples,)
            Labels (strings or integers).
        **fit_params
            Passed to :meth:`skorch.NeuralNet.fit`.

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit needs labels y.")
        self.label_encoder_ = LabelEncoder().fit(np.asarray(y))
        y_encoded = self.label_encoder_.transform(np.asarray(y)).astype(np.int64)
        self.inferred_module_params_ = self._infer_module_params(X, y)
        if self.refit_full and self.train_split is None:
            raise ValueError(
                "refit_full=True retrains for the number of epochs chosen on the internal "
                "validation split, but train_split=None turns that split off. Use "
                "train_split='auto' (with valid_fraction) or refit_full=False."
            )
        for name in ("best_epoch_", "selection_history_"):
            self.__dict__.pop(name, None)
        self._check_options()
        seed = self.random_state
        with torch.random.fork_rng(devices=self._cuda_devices_for_rng()), \
                deterministic_algorithms(self.deterministic):
            if seed is not None:
                torch.manual_seed(seed)
            with warnings.catch_warnings():
                # skorch warns when the valid split is empty for very small data sets.
                warnings.filterwarnings("ignore", message=".*stratif.*")
                self.fitting_encoded_ = True
                try:
                    if self.refit_full:
                        self._check_refit_callbacks()
                    super().fit(X, y_encoded, **fit_params)
                    if self.refit_full:
                        self._refit_on_all_data(X, y_encoded, seed, **fit_params)
                finally:
                    self.fitting_encoded_ = False
        return self

    def _check_refit_callbacks(self):
        from ._checkpoint import ResumableCheckpoint

        self.initialize_callbacks()
        names = dict(self.callbacks_)
        if not isinstance(names.get("early_stopping"), EarlyStopping):
            raise ValueError(
                "refit_full=True takes the number of epochs from the early_stopping callback, "
                "which is disabled (callbacks__early_stopping=None). Enable it or set "
                "refit_full=False."
            )
        if any(isinstance(cb, ResumableCheckpoint) for _, cb in self.callbacks_):
            raise ValueError(
                "refit_full=True cannot be combined with ResumableCheckpoint: a resumed run "
                "would not know which of the two trainings it belongs to. Remove one of them."
            )

    def _refit_on_all_data(self, X, y_encoded, seed, **fit_params):
        """Second run of ``refit_full``: all of ``X`` for ``best_epoch_`` epochs."""
        stopper = dict(self.callbacks_)["early_stopping"]
        best_epoch = int(stopper.best_epoch_)
        # initialize() clears the history in place: keep a copy of the first run's.
        selection_history = copy.deepcopy(self.history)
        if seed is not None:
            torch.manual_seed(seed)  # the same initial weights as the first run
        self.refitting_full_ = True
        try:
            self.initialize()
            # Nothing to monitor without a validation set.
            self.callbacks_ = [(name, cb) for name, cb in self.callbacks_
                               if name != "early_stopping"]
            # skorch's own partial_fit (not a subclass's, which would re-encode X or y): the
            # train-begin/end notifications around fit_loop, here for best_epoch epochs.
            NeuralNetClassifier.partial_fit(self, X, y_encoded, epochs=best_epoch, **fit_params)
        finally:
            self.refitting_full_ = False
        self.best_epoch_ = best_epoch
        self.selection_history_ = selection_history

    def _cuda_devices_for_rng(self):
        if str(self.device).startswith("cuda") and torch.cuda.is_available():
            return [torch.device(self.device).index or 0]
        return []

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs, keeping the learned weights.

        The first call behaves like :meth:`fit`; later calls must use labels
        seen in the first one.
        """
        if getattr(self, "fitting_encoded_", False):  # called by skorch's fit: y is encoded
            return super().partial_fit(X, y, classes=classes, **fit_params)
        if not hasattr(self, "label_encoder_"):
            return self.fit(X, y, **fit_params)
        self._check_options()
        y_encoded = None if y is None else self.label_encoder_.transform(np.asarray(y))
        with deterministic_algorithms(self.deterministic):
            return super().partial_fit(X, y_encoded, classes=classes, **fit_params)

    def predict(self, X):
        """Predict labels (in the form given to ``fit``).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Overall accuracy (weighted accuracy, WA) on ``X``, ``y``."""
        y_pred = self.predict(X)
        return float(np.average(y_pred == np.asarray(y), weights=sample_weight))
