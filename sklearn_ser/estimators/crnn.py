"""skorch estimator for method D: CNN + BiGRU on variable-length spectrograms, center loss.

:class:`CRNNClassifier` trains :class:`~sklearn_ser.models.crnn.CRNN` with
:class:`~sklearn_ser.models.losses.SoftmaxCenterLoss` on the output of
:class:`~sklearn_ser.features.spectrogram.LogMelSpectrogram` or
:class:`~sklearn_ser.features.spectrogram.LogSTFTSpectrogram`: one
``(n_bins, n_frames_i)`` array per utterance, never padded to the corpus
maximum.

From utterances to padded mini-batches
--------------------------------------
- :class:`SpectrogramDataset` holds the utterances (as given, no padding)
  and their lengths.
- Training batches come from :class:`LengthBucketBatchSampler`: the
  utterances are shuffled, cut into pools of ``pool_batches`` batches,
  sorted by length inside each pool and cut into batches, and the batches
  are shuffled. Each batch thus holds utterances of similar length (little
  padding), and batches differ from epoch to epoch.
- :func:`pad_collate` pads a batch with zeros to its own longest utterance
  and passes ``{"X": (B, n_bins, T_max), "lengths": (B,)}`` to the network,
  which ignores the padding exactly (see :mod:`sklearn_ser.models.crnn`).
- Prediction (:meth:`CRNNClassifier.predict_proba`, :meth:`~CRNNClassifier.embed`)
  sorts the utterances by length, runs them in order, and returns the rows
  in the caller's order.
"""

from functools import partial

import numpy as np
import torch
from skorch.callbacks import EarlyStopping, EpochScoring
from skorch.utils import is_dataset, to_numpy
from sklearn.decomposition import PCA
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

from ..features.spectrogram import check_spectrograms, pack_spectrograms
from ..metrics import unweighted_accuracy
from ..models.crnn import CRNN
from ..models.losses import SoftmaxCenterLoss
from ._base import SERNetClassifier

__all__ = [
    "BucketLoader",
    "CRNNClassifier",
    "LengthBucketBatchSampler",
    "PaddedLoader",
    "SpectrogramDataset",
    "dataset_lengths",
    "pad_collate",
    "plot_embedding_pca",
    "within_class_spread",
]


# --------------------------------------------------------------------------
# data: dataset, collate, bucketing
# --------------------------------------------------------------------------
class SpectrogramDataset(Dataset):
    """Variable-length spectrograms (and labels) as a torch dataset.

    Parameters
    ----------
    X : variable-length spectrograms
        One ``(n_bins, n_frames_i)`` array per utterance; see
        :func:`~sklearn_ser.features.spectrogram.check_spectrograms`.
    y : array-like of shape (n_utterances,), optional
        Integer-encoded labels; ``None`` for prediction (items then carry
        the label 0).
    n_bins : int, optional
        Required number of rows.

    Attributes
    ----------
    X : ndarray of shape (n_utterances,), dtype object
        The validated float32 spectrograms.
    y : ndarray of shape (n_utterances,) or None
    lengths : ndarray of shape (n_utterances,), int64
        Frames of each utterance.

    Examples
    --------
    >>> ds = SpectrogramDataset([np.zeros((4, 7)), np.ones((4, 3))], y=[0, 1])
    >>> len(ds), ds.lengths.tolist(), tuple(ds[1][0].shape), int(ds[1][1])
    (2, [7, 3], (4, 3), 1)
    """

    def __init__(self, X, y=None, n_bins=None):
        spectrograms = check_spectrograms(X, n_bins=n_bins)
        self.X = pack_spectrograms(spectrograms)
        self.lengths = np.array([s.shape[1] for s in spectrograms], dtype=np.int64)
        if y is not None:
            y = np.asarray(y)
            if y.shape != (len(spectrograms),):
                raise ValueError(
                    f"y must hold one label per utterance: X has {len(spectrograms)} "
                    f"utterances, y has shape {y.shape}."
                )
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        x = torch.from_numpy(self.X[index])
        y = 0 if self.y is None else self.y[index]
        return x, torch.as_tensor(y)


def dataset_lengths(dataset):
    """Number of frames of every item of a dataset (or a :class:`~torch.utils.data.Subset`).

    Reads ``dataset.lengths`` where it exists (:class:`SpectrogramDataset`),
    follows ``Subset.indices``, and otherwise looks at every item's last axis.

    Examples
    --------
    >>> ds = SpectrogramDataset([np.zeros((2, 5)), np.zeros((2, 3)), np.zeros((2, 9))])
    >>> dataset_lengths(Subset(ds, [2, 0])).tolist()
    [9, 5]
    """
    if isinstance(dataset, Subset):
        return dataset_lengths(dataset.dataset)[np.asarray(dataset.indices, dtype=np.int64)]
    lengths = getattr(dataset, "lengths", None)
    if lengths is not None:
        return np.asarray(lengths, dtype=np.int64)
    return np.array([dataset[i][0].shape[-1] for i in range(len(dataset))], dtype=np.int64)


def pad_collate(batch):
    """Pad a list of ``(spectrogram (n_bins, T_i), label)`` pairs to the batch's longest.

    Returns
    -------
    inputs : dict
        ``{"X": tensor (B, n_bins, max T_i), "lengths": int64 tensor (B,)}``,
        zeros after each item's frames; skorch passes it to
        ``module.forward(X=..., lengths=...)``.
    y : torch.Tensor of shape (B,)

    Examples
    --------
    >>> inputs, y = pad_collate([(torch.ones(2, 3), torch.tensor(0)),
    ...                          (torch.ones(2, 1), torch.tensor(1))])
    >>> tuple(inputs["X"].shape), inputs["lengths"].tolist(), inputs["X"][1].sum().item()
    ((2, 2, 3), [3, 1], 2.0)
    """
    xs, ys = zip(*batch)
    lengths = torch.tensor([x.shape[-1] for x in xs], dtype=torch.long)
    padded = xs[0].new_zeros((len(xs), xs[0].shape[0], int(lengths.max())))
    for i, x in enumerate(xs):
        padded[i, :, :x.shape[-1]] = x
    return {"X": padded, "lengths": lengths}, torch.stack([torch.as_tensor(y) for y in ys])


class LengthBucketBatchSampler(Sampler):
    """Batches of indices of similar length, in shuffled order.

    With ``shuffle=True`` every epoch: the indices are shuffled, cut into
    pools of ``batch_size * pool_batches``, sorted by length inside each
    pool (ties in shuffled order), cut into batches, and the batches are
    shuffled. With ``shuffle=False`` the same without either shuffle (a
    fixed, length-sorted batching of each pool). Randomness comes from
    ``generator`` or torch's global generator (which
    :class:`~sklearn_ser.estimators.SERNetClassifier` seeds from its
    ``random_state``).

    Parameters
    ----------
    lengths : array-like of shape (n_items,)
        Length of every item.
    batch_size : int
    shuffle : bool, default=True
    pool_batches : int or None, default=8
        Batches per sorting pool; ``None`` sorts the whole data set at once
        (least padding, least variety between epochs).
    drop_last : bool, default=False
        Drop batches smaller than ``batch_size`` (the last of each pool).
    generator : torch.Generator, optional

    Examples
    --------
    >>> sampler = LengthBucketBatchSampler([5, 1, 4, 2, 3, 6], batch_size=2, shuffle=False,
    ...                                    pool_batches=None)
    >>> list(sampler)
    [[1, 3], [4, 2], [0, 5]]
    """

    def __init__(self, lengths, batch_size, shuffle=True, pool_batches=8, drop_last=False,
                 generator=None):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if pool_batches is not None and int(pool_batches) < 1:
            raise ValueError(
                f"pool_batches must be a positive integer or None, got {pool_batches!r}."
            )
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.pool_batches = None if pool_batches is None else int(pool_batches)
        self.drop_last = bool(drop_last)
        self.generator = generator

    def _permutation(self, n):
        return torch.randperm(n, generator=self.generator).numpy()

    def __iter__(self):
        n = len(self.lengths)
        order = self._permutation(n) if self.shuffle else np.arange(n)
        pool = n if self.pool_batches is None else self.batch_size * self.pool_batches
        batches = []
        for start in range(0, n, max(pool, 1)):
            chunk = order[start:start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            for b in range(0, len(chunk), self.batch_size):
                batch = chunk[b:b + self.batch_size]
                if not self.drop_last or len(batch) == self.batch_size:
                    batches.append(batch.tolist())
        if self.shuffle and batches:
            batches = [batches[i] for i in self._permutation(len(batches))]
        return iter(batches)

    def __len__(self):
        n = len(self.lengths)
        pool = n if self.pool_batches is None else self.batch_size * self.pool_batches
        sizes = [min(pool, n - start) for start in range(0, n, max(pool, 1))]
        if self.drop_last:
            return sum(size // self.batch_size for size in sizes)
        return sum(-(-size // self.batch_size) for size in sizes)


class BucketLoader(DataLoader):
    """Training iterator: length-bucketed batches (:class:`LengthBucketBatchSampler`), padded.

    skorch builds it as ``iterator_train(dataset, batch_size=...)``; set its
    options with ``iterator_train__pool_batches=4``,
    ``iterator_train__shuffle=False``, ``iterator_train__num_workers=2``.

    Parameters
    ----------
    dataset : SpectrogramDataset or Subset of one
    batch_size : int, default=32
    shuffle : bool, default=True
    pool_batches : int or None, default=8
    drop_last : bool, default=False
    **kwargs
        Other :class:`torch.utils.data.DataLoader` arguments (``num_workers``,
        ``pin_memory``...); ``collate_fn`` defaults to :func:`pad_collate`.
    """

    def __init__(self, dataset, batch_size=32, shuffle=True, pool_batches=8, drop_last=False,
                 **kwargs):
        sampler = LengthBucketBatchSampler(dataset_lengths(dataset), batch_size, shuffle=shuffle,
                                           pool_batches=pool_batches, drop_last=drop_last,
                                           generator=kwargs.pop("generator", None))
        kwargs.setdefault("collate_fn", pad_collate)
        super().__init__(dataset, batch_sampler=sampler, **kwargs)


class PaddedLoader(DataLoader):
    """Validation / prediction iterator: batches in dataset order, padded per batch.

    The order must be kept (skorch concatenates the outputs); the estimator
    sorts the utterances by length before building the dataset instead.
    """

    def __init__(self, dataset, batch_size=32, **kwargs):
        kwargs.setdefault("collate_fn", pad_collate)
        if kwargs.pop("shuffle", False):
            raise ValueError(
                "PaddedLoader keeps the dataset order (predictions are returned in it); "
                "iterator_valid__shuffle=True is not supported."
            )
        super().__init__(dataset, batch_size=batch_size, shuffle=False, **kwargs)


# --------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------
def _encoded_ua(net, X, y):
    """Unweighted accuracy (mean recall) of ``predict_proba``'s arg-max against encoded ``y``."""
    y_pred = net.predict_proba(X).argmax(axis=1)
    return float(unweighted_accuracy(np.asarray(y), y_pred))


class CRNNClassifier(SERNetClassifier):
    """CNN + BiGRU on variable-length spectrograms, trained with softmax + center loss.

    Method D of the toolkit's methods page (seed 003). Trains
    :class:`~sklearn_ser.models.crnn.CRNN` on the output of
    :class:`~sklearn_ser.features.spectrogram.LogMelSpectrogram` (or
    :class:`~sklearn_ser.features.spectrogram.LogSTFTSpectrogram`) with the
    joint loss ``L_s + lambda_ * L_c``
    (:class:`~sklearn_ser.models.losses.SoftmaxCenterLoss`): class-weighted
    cross-entropy plus class-weighted center loss on FC1's output, whose
    centers move toward each mini-batch's class means at rate ``alpha``.
    The paper's recipe: Adam, lr 3e-4, batch 32, the parameters with the
    best development UA kept (here: early stopping on the unweighted
    accuracy of the internal validation split, best epoch restored).

    Parameters
    ----------
    module : type or torch.nn.Module, default=CRNN
        Set its arguments with ``module__channels=(...)``,
        ``module__kernel_sizes=(...)``, ``module__embedding_dim=...``.
        ``n_classes`` and ``n_bins`` are taken from the data unless given.
    criterion : type, default=SoftmaxCenterLoss
        Built with ``n_classes``, ``n_features`` (the module's
        ``embedding_dim``), ``lambda_``, ``alpha`` and ``class_weight``
        (unless given as ``criterion__...``).
    lambda_ : float, default=0.3
        Weight of the center loss; ``0`` trains with weighted cross-entropy
        only (the paper's settings 1 and 3).
    alpha : float, default=0.5
        Center update rate, in ``[0, 1]``.
    class_weight : "balanced", dict or None, default="balanced"
        Class weights of both loss terms. ``"balanced"``: inversely
        proportional to the class counts of the data given to ``fit``,
        ``n_samples / (n_classes * count)`` (as in the paper); a dict maps
        labels to weights (missing labels weigh 1); ``None`` weighs all 1.
    lr : float, default=3e-4
        Adam learning rate.
    max_epochs : int, default=50
        The paper does not give its number of epochs.
    batch_size : int, default=32
    lr_gamma : float, default=1.0
        Decay of the inherited StepLR schedule; 1.0 keeps the learning rate
        constant, as in the paper.
    patience : int, default=10
        Epochs without validation-UA improvement before stopping.
    iterator_train : type, default=BucketLoader
        Length-bucketed training batches; ``iterator_train__pool_batches``
        sets the sorting pool (8 batches).
    iterator_valid : type, default=PaddedLoader
    **kwargs
        Every parameter of :class:`~sklearn_ser.estimators.SERNetClassifier`
        (``train_split``, ``valid_fraction``, ``lr_step_size``,
        ``device="auto"``, ``random_state``, ``verbose``, ``compile``,
        ``data_on_device``, ``amp``, ``channels_last``, ``deterministic``) and of
        :class:`skorch.NeuralNetClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Emotion labels seen in ``fit``.
    class_weight_ : ndarray of shape (n_classes,)
        Class weights used by the loss, in ``classes_`` order.
    module_ : CRNN
        The trained network.
    criterion_ : SoftmaxCenterLoss
        The loss, holding the class centers (``criterion_.centers``).
    history_ : skorch.History
        Per-epoch ``train_loss``, ``valid_loss``, ``valid_acc`` (WA) and
        ``valid_ua``.

    See Also
    --------
    sklearn_ser.features.spectrogram.LogMelSpectrogram : The input it expects.
    plot_embedding_pca : Seed 003's figure 4 from :meth:`embed`'s output.

    Notes
    -----
    ``X`` is one ``(n_bins, n_frames_i)`` array per utterance (a 1-D object
    ndarray, or a list); nothing is padded to the corpus maximum. An
    utterance's outputs do not depend on its batch partners (see
    :mod:`sklearn_ser.models.crnn`). ``transform`` returns the FC1
    embeddings, so the classifier can also feed another estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.spectrogram import pack_spectrograms
    >>> rng = np.random.default_rng(0)
    >>> X = pack_spectrograms([rng.normal(size=(16, int(n))).astype("float32")
    ...                        for n in rng.integers(20, 60, size=12)])
    >>> y = np.array(["anger", "sadness"] * 6)
    >>> clf = CRNNClassifier(max_epochs=2, batch_size=4, train_split=None, random_state=0,
    ...                      module__channels=(4, 8), module__kernel_sizes=(5, 3),
    ...                      module__strides=(1, 1), module__pool_sizes=(2, 2),
    ...                      module__hidden_size=8, module__embedding_dim=6).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.embed(X).shape, clf.class_weight_.tolist()
    ((3,), (12, 6), [1.0, 1.0])
    """

    def __init__(self, module=CRNN, *, criterion=SoftmaxCenterLoss, lambda_=0.3, alpha=0.5,
                 class_weight="balanced", lr=3e-4, max_epochs=50, batch_size=32, lr_gamma=1.0,
                 patience=10, iterator_train=BucketLoader, iterator_valid=PaddedLoader,
                 **kwargs):
        super().__init__(module, criterion=criterion, lr=lr, max_epochs=max_epochs,
                         batch_size=batch_size, lr_gamma=lr_gamma, patience=patience,
                         iterator_train=iterator_train, iterator_valid=iterator_valid, **kwargs)
        self.lambda_ = lambda_
        self.alpha = alpha
        self.class_weight = class_weight

    def _get_param_names(self):
        # skorch hides attributes ending in "_" (learned state); lambda_ is a parameter.
        names = list(super()._get_param_names())
        return names if "lambda_" in names else names + ["lambda_"]

    # -- checks ------------------------------------------------------------------------------
    def _check_loss_params(self):
        lam, alpha = self.lambda_, self.alpha
        if isinstance(lam, bool) or not isinstance(lam, (int, float, np.number)) or \
                not np.isfinite(lam) or lam < 0:
            raise ValueError(
                f"lambda_ must be a finite number >= 0 (0 disables the center loss), got {lam!r}."
            )
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)) or \
                not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}.")
        cw = self.class_weight
        if not (cw is None or isinstance(cw, dict) or (isinstance(cw, str) and cw == "balanced")):
            raise ValueError(
                f"class_weight must be 'balanced', a dict of label to weight, or None; got {cw!r}."
            )

    def _compute_class_weight(self, y):
        classes = np.unique(y)
        if self.class_weight is None:
            return np.ones(len(classes))
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(classes.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight names labels not in y: {sorted(map(str, unknown))}; the "
                    f"labels are {classes.tolist()}."
                )
        return compute_class_weight(self.class_weight, classes=classes, y=y)

    # -- data --------------------------------------------------------------------------------
    def get_dataset(self, X, y=None):
        if is_dataset(X):
            return X
        n_bins = self.module_.n_bins if getattr(self, "initialized_", False) and \
            hasattr(self, "module_") else None
        return SpectrogramDataset(X, y, n_bins=n_bins)

    def get_split_datasets(self, X, y=None, **fit_params):
        train, valid = super().get_split_datasets(X, y, **fit_params)
        if isinstance(valid, Subset):  # validate in length order: less padding per batch
            order = np.argsort(dataset_lengths(valid), kind="stable")
            valid = Subset(valid.dataset, [valid.indices[i] for i in order])
        return train, valid

    def _sorted_dataset(self, X):
        """``X`` as a dataset sorted by length, and the permutation that restores its order."""
        if is_dataset(X):
            return X, slice(None)
        dataset = self.get_dataset(X)
        order = np.argsort(dataset.lengths, kind="stable")
        return SpectrogramDataset(dataset.X[order]), np.argsort(order)

    # -- module and criterion ----------------------------------------------------------------
    def _infer_module_params(self, X, y):
        params = super()._infer_module_params(X, y)
        params["n_bins"] = int(np.shape(X[0])[0])
        return params

    def initialize_criterion(self):
        kwargs = self.get_params_for("criterion")
        if not isinstance(self.criterion, torch.nn.Module):
            defaults = {
                "lambda_": float(self.lambda_),
                "alpha": float(self.alpha),
            }
            if hasattr(self, "module_"):
                defaults["n_features"] = int(self.module_.embedding_dim)
            if hasattr(self, "class_weight_"):
                defaults["n_classes"] = len(self.class_weight_)
                defaults["class_weight"] = torch.as_tensor(self.class_weight_,
                                                           dtype=torch.float32)
            for key, value in defaults.items():
                kwargs.setdefault(key, value)
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def _get_predict_nonlinearity(self):
        if isinstance(self.predict_nonlinearity, str) and self.predict_nonlinearity == "auto":
            self.check_is_fitted()
            return partial(torch.softmax, dim=-1)
        return super()._get_predict_nonlinearity()

    @property
    def _default_callbacks(self):
        callbacks = []
        for name, callback in super()._default_callbacks:
            if name == "early_stopping":
                callback = EarlyStopping(monitor="valid_ua", lower_is_better=False,
                                         patience=self.patience, threshold=0.0, load_best=True)
            callbacks.append((name, callback))
            if name == "valid_acc":
                callbacks.append(("valid_ua", EpochScoring(
                    _encoded_ua, name="valid_ua", lower_is_better=False, on_train=False)))
        return callbacks

    # -- fit / predict -----------------------------------------------------------------------
    def fit(self, X, y, **fit_params):
        """Train on variable-length spectrograms ``X`` and labels ``y``.

        Parameters
        ----------
        X : variable-length spectrograms
            One ``(n_bins, n_frames_i)`` array per utterance (output of
            :class:`~sklearn_ser.features.spectrogram.LogMelSpectrogram`).
        y : array-like of shape (n_utterances,)
            Labels (strings or integers).
        **fit_params
            Passed to :meth:`skorch.NeuralNet.fit`.

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit needs labels y.")
        self._check_loss_params()
        X = pack_spectrograms(check_spectrograms(X))
        y_arr = np.asarray(y)
        if y_arr.shape != (len(X),):
            raise ValueError(
                f"y must hold one label per utterance: X has {len(X)} utterances, y has shape "
                f"{y_arr.shape}."
            )
        self.class_weight_ = self._compute_class_weight(y_arr)
        return super().fit(X, y_arr, **fit_params)

    def predict_proba(self, X):
        """Class probabilities (softmax of the logits), rows in the order of ``X``.

        Parameters
        ----------
        X : variable-length spectrograms

        Returns
        -------
        proba : ndarray of shape (n_utterances, n_classes)
            Columns follow ``classes_``.
        """
        self.check_is_fitted()
        dataset, inverse = self._sorted_dataset(X)
        return super().predict_proba(dataset)[inverse]

    def embed(self, X):
        """FC1 embeddings (after PReLU): the features the center loss shapes.

        Parameters
        ----------
        X : variable-length spectrograms

        Returns
        -------
        embeddings : ndarray of shape (n_utterances, embedding_dim), float32
        """
        self.check_is_fitted()
        dataset, inverse = self._sorted_dataset(X)
        parts = [to_numpy(output[1]) for output in self.forward_iter(dataset, training=False)]
        return np.concatenate(parts, axis=0)[inverse]

    def transform(self, X):
        """The FC1 embeddings of ``X`` (same as :meth:`embed`)."""
        return self.embed(X)


# --------------------------------------------------------------------------
# looking at the embeddings
# --------------------------------------------------------------------------
def within_class_spread(embeddings, y, *, normalize=True):
    """Mean squared distance of the embeddings to their class mean.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    normalize : bool, default=True
        Divide by the mean squared distance to the overall mean, giving the
        fraction of the total scatter that lies within classes (in
        ``[0, 1]``; independent of the embeddings' scale). ``False`` returns
        the raw mean squared distance.

    Returns
    -------
    spread : float

    Examples
    --------
    >>> E = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    >>> within_class_spread(E, [0, 0, 1, 1], normalize=False)
    1.0
    >>> round(within_class_spread(E, [0, 0, 1, 1]), 4)
    0.0385
    """
    E = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(y)
    if E.ndim != 2 or E.shape[0] != y.shape[0]:
        raise ValueError(
            f"embeddings must be (n_samples, n_features) with one row per label; got shapes "
            f"{E.shape} and {y.shape}."
        )
    within = 0.0
    for label in np.unique(y):
        rows = E[y == label]
        within += float(((rows - rows.mean(axis=0)) ** 2).sum())
    within /= E.shape[0]
    if not normalize:
        return within
    total = float(((E - E.mean(axis=0)) ** 2).sum()) / E.shape[0]
    return within / total if total > 0 else 0.0


def plot_embedding_pca(embeddings, y, *, classes=None, title=None, ax=None, point_size=12.0,
                       alpha=0.7):
    """Scatter plot of embeddings projected on their first two principal components.

    Seed 003's figure 4: the FC1 features of one cross-validation fold
    without and with center loss, side by side; pass a dict to get one panel
    per model.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features), or dict
        Embeddings (:meth:`CRNNClassifier.embed`), or a dict mapping a panel
        title to embeddings of the same utterances. Each panel fits its own
        PCA.
    y : array-like of shape (n_samples,)
        Label of every row (colours).
    classes : sequence, optional
        Labels to draw, in legend order; default: the sorted labels of ``y``.
    title : str, optional
        Figure title (the panel title for a single array).
    ax : matplotlib Axes, optional
        Draw a single array into this axes instead of a new figure.
    point_size : float, default=12.0
    alpha : float, default=0.7

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["anger", "sadness"], 10)
    >>> E = rng.normal(size=(20, 5)) + (y == "anger")[:, None] * 3
    >>> fig = plot_embedding_pca({"lambda=0": E, "lambda=0.3": E / 2}, y)
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    panels = embeddings if isinstance(embeddings, dict) else {title: embeddings}
    if not panels:
        raise ValueError("embeddings is an empty dict: give at least one panel.")
    y = np.asarray(y)
    labels = np.unique(y) if classes is None else np.asarray(classes)
    arrays = {}
    for name, E in panels.items():
        E = np.asarray(E, dtype=np.float64)
        if E.ndim != 2 or E.shape[0] != y.shape[0] or E.shape[1] < 2:
            raise ValueError(
                f"embeddings{'' if name is None else f'[{name!r}]'} must be (n_samples, "
                f"n_features >= 2) with one row per label; got shape {E.shape} for "
                f"{y.shape[0]} labels."
            )
        arrays[name] = E
    if ax is not None and len(arrays) != 1:
        raise ValueError("ax draws a single panel; pass one array, or ax=None for a dict.")
    if ax is None:
        fig, axes = plt.subplots(1, len(arrays), figsize=(4.0 * len(arrays), 3.8),
                                 constrained_layout=True, squeeze=False)
        axes = list(axes[0])
    else:
        fig, axes = ax.figure, [ax]
    colours = plt.get_cmap("tab10")
    for axis, (name, E) in zip(axes, arrays.items()):
        P = PCA(n_components=2).fit_transform(E)
        for k, label in enumerate(labels):
            rows = y == label
            axis.scatter(P[rows, 0], P[rows, 1], s=point_size, alpha=alpha,
                         color=colours(k % 10), label=str(label))
        axis.set_xlabel("PC 1")
        axis.set_ylabel("PC 2")
        if name is not None:
            axis.set_title(str(name))
    axes[-1].legend(loc="best", fontsize="small", markerscale=1.5)
    if title is not None and isinstance(embeddings, dict):
        fig.suptitle(title)
    return fig
