"""skorch estimator for CNN + BiGRU on variable-length spectrograms with center loss
(Dai et al. 2019).

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

The data side (dataset, bucketing sampler, loaders, collate) lives in
:mod:`sklearn_ser.estimators._crnn_data`, the analysis of the learned
embeddings (:func:`within_class_spread`, :func:`plot_embedding_pca`) in
:mod:`sklearn_ser.estimators._embedding`; both are importable from here.
"""

from functools import partial

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from skorch.callbacks import EarlyStopping, EpochScoring
from skorch.utils import is_dataset, to_numpy
from torch.utils.data import Subset

from ..features.spectrogram import check_spectrograms, pack_spectrograms
from ..metrics import unweighted_accuracy
from ..models.crnn import CRNN
from ..models.losses import SoftmaxCenterLoss
from ._base import SERNetClassifier
from ._crnn_data import (
    BucketLoader,
    LengthBucketBatchSampler,
    PaddedLoader,
    SpectrogramDataset,
    dataset_lengths,
    pad_collate,
)
from ._embedding import plot_embedding_pca, within_class_spread

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



def _encoded_ua(net, X, y):
    """Unweighted accuracy (mean recall) of ``predict_proba``'s arg-max against encoded ``y``."""
    y_pred = net.predict_proba(X).argmax(axis=1)
    return float(unweighted_accuracy(np.asarray(y), y_pred))


class CRNNClassifier(SERNetClassifier):
    """CNN + BiGRU on variable-length spectrograms, trained with softmax + center loss.

    Dai et al. 2019. Trains
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
    plot_embedding_pca : figure 4 of Dai et al. 2019 from :meth:`embed`'s output.

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
