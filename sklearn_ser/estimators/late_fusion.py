"""skorch estimator for VGGish + YAMNet late fusion trained on segments (Kim & Kwak 2024)."""

import os

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import Dataset, Subset

from ..features.segments import expand_segments, mean_by_utterance
from ..models.late_fusion import VGGishYAMNetFusion
from ..models.weights import load_state_into, load_vggish_weights, load_yamnet_weights
from ._base import SERNetClassifier

__all__ = ["LateFusionClassifier"]


class LateFusionClassifier(SERNetClassifier):
    """VGGish + YAMNet late fusion, trained on segments, predicting utterances.

    Takes the output of :class:`~sklearn_ser.features.segments.SegmentedLogMel`
    (optionally after :class:`~sklearn_ser.features.gds.GaussianDataSelector`):
    one entry per utterance holding its ``(n_segments, 1, 96, 64)`` segments.

    - ``fit`` expands utterances to segments, each segment taking its
      utterance's label, and trains
      :class:`~sklearn_ser.models.late_fusion.VGGishYAMNetFusion` on them
      (cross-entropy, Adam). The internal early-stopping split
      (``train_split="auto"``) holds out whole **utterances**, stratified by
      emotion, so segments of one utterance never sit on both sides.
    - ``predict_proba`` averages the segments' softmax probabilities per
      utterance; ``predict`` and ``score`` are per utterance.

    Parameters
    ----------
    module : type or torch.nn.Module, default=VGGishYAMNetFusion
        Set its arguments with ``module__fusion_channels=...``,
        ``module__fusion_size=(...)``.
    vggish_weights : None, str, os.PathLike or dict, default=None
        VGGish AudioSet weights, loaded at every ``fit`` (each fold starts
        from them): the TF checkpoint, the torchvggish port or a state dict;
        see :func:`~sklearn_ser.models.weights.load_vggish_weights`. ``None``
        leaves VGGish randomly initialised.
    yamnet_weights : None, str, os.PathLike or dict, default=None
        YAMNet weights: ``"yamnet-tflite"`` (the released TFLite model, found
        in ``weights_home``, digest-checked), a ``.tflite`` / ``yamnet.h5``
        file or a state dict; see
        :func:`~sklearn_ser.models.weights.load_yamnet_weights`.
    weights_home : None, str or os.PathLike, default=None
        Folder of a registry name's weight file (default
        ``$SKLEARN_SER_WEIGHTS``).
    freeze_backbones : bool or tuple of str, default=True
        ``True``: VGGish and YAMNet are fixed feature extractors (eval mode,
        no gradients); only the 1x1 projections and the classifier learn,
        which is about 3 times cheaper. ``False``: the whole network is
        fine-tuned, as in the paper. ``("yamnet",)``: the pretrained YAMNet
        fixed and VGGish trained (from scratch, when it has no weights).
        Choose the branches with ``module__backbones`` (``("yamnet",)`` for
        a YAMNet-only head) and the YAMNet block with ``module__yamnet_layer``.
    freeze_batch_norm : bool or "auto", default="auto"
        Keep the backbones' batch norms in eval mode while fine-tuning;
        ``"auto"``: when ``yamnet_weights`` is the TFLite release, whose
        batch norms are folded into its convolutions (no statistics to
        re-estimate).
    lr : float, default=0.01
        Adam learning rate (Kim & Kwak 2024, Table 4).
    max_epochs : int, default=20
        Kim & Kwak 2024, Table 4.
    batch_size : int, default=128
        Segments per batch (Kim & Kwak 2024, Table 4).
    **kwargs
        Every parameter of :class:`~sklearn_ser.estimators.SERNetClassifier`
        (``train_split``, ``valid_fraction``, ``lr_step_size``, ``lr_gamma``,
        ``patience``, ``device="auto"``, ``random_state``, ``verbose``,
        ``compile``, ``data_on_device``, ``amp``, ``channels_last``,
        ``deterministic``) and
        of :class:`skorch.NeuralNetClassifier`.

    Attributes
    ----------
    classes_ : ndarray
        Emotion labels seen in ``fit``.
    module_ : VGGishYAMNetFusion
        The trained network.
    n_training_segments_ : int
        Segments the network was trained on (training + internal validation).

    See Also
    --------
    sklearn_ser.features.segments.SegmentedLogMel : The segments it expects.
    sklearn_ser.features.gds.GaussianDataSelector : Drops heterogeneous training segments.

    Notes
    -----
    Inputs may also be a plain array ``(n, 1, H, W)``: ``n`` utterances of
    one segment each. Segments smaller than 96 x 64 work (VGGish runs
    without its fully connected top) down to 32 x 32.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.segments import pack_segments
    >>> rng = np.random.default_rng(0)
    >>> X = pack_segments([rng.normal(size=(k, 1, 32, 32)).astype("float32")
    ...                    for k in (1, 2, 3, 1, 2, 3)])
    >>> y = np.array(["anger", "sadness"] * 3)
    >>> clf = LateFusionClassifier(max_epochs=1, module__fusion_channels=4,
    ...                            module__fusion_size=(2, 2), train_split=None,
    ...                            random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape, clf.n_training_segments_
    ((6, 2), 12)
    """

    # Read by initialize_module only; persistence does not need the files at load time.
    _weight_source_params = ("vggish_weights", "yamnet_weights")

    def __init__(self, module=VGGishYAMNetFusion, *, vggish_weights=None, yamnet_weights=None,
                 weights_home=None, freeze_backbones=True, freeze_batch_norm="auto", lr=0.01,
                 max_epochs=20, batch_size=128, **kwargs):
        super().__init__(module, lr=lr, max_epochs=max_epochs, batch_size=batch_size, **kwargs)
        self.vggish_weights = vggish_weights
        self.yamnet_weights = yamnet_weights
        self.weights_home = weights_home
        self.freeze_backbones = freeze_backbones
        self.freeze_batch_norm = freeze_batch_norm

    # -- module ------------------------------------------------------------------------------
    def _yamnet_is_folded(self):
        weights = self.yamnet_weights
        if isinstance(weights, (str, os.PathLike)):
            return os.fspath(weights) == "yamnet-tflite" or os.fspath(weights).endswith(".tflite")
        return False

    def _infer_module_params(self, X, y):
        params = super()._infer_module_params(X, y)
        freeze = self.freeze_backbones
        params["freeze_backbones"] = (bool(freeze) if isinstance(freeze, (bool, np.bool_))
                                      else tuple([freeze] if isinstance(freeze, str) else freeze))
        folded = self.freeze_batch_norm
        params["freeze_batch_norm"] = (self._yamnet_is_folded() if isinstance(folded, str)
                                       and folded == "auto" else bool(folded))
        return params

    def initialize_module(self):
        super().initialize_module()
        module = self.module_
        if self.vggish_weights is not None:
            if not hasattr(module, "vggish"):
                raise ValueError("vggish_weights were given but the module has no VGGish branch "
                                 "(module__backbones=('yamnet',)).")
            state = load_vggish_weights(self.vggish_weights, include_top=False)
            load_state_into(module.vggish, state, name="VGGish (vggish_weights)")
        if self.yamnet_weights is not None:
            state = load_yamnet_weights(self.yamnet_weights, include_top=False,
                                        weights_home=self.weights_home)
            load_state_into(module.yamnet, state, name="YAMNet (yamnet_weights)")
        return self

    # -- segments in, utterances out ---------------------------------------------------------
    def _segments_and_labels(self, X, y):
        segments, owner = expand_segments(X)
        n_utterances = int(owner[-1]) + 1
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n_utterances:
            raise ValueError(
                f"y must hold one label per utterance: X has {n_utterances} utterances, y has "
                f"shape {y.shape}."
            )
        return segments, y[owner], owner

    def fit(self, X, y, **fit_params):
        """Train on the segments of ``X``; every segment gets its utterance's label.

        Parameters
        ----------
        X : segmented utterances
            Output of :class:`~sklearn_ser.features.segments.SegmentedLogMel`.
        y : array-like of shape (n_utterances,)
            One label per utterance.
        **fit_params
            Passed to :meth:`skorch.NeuralNet.fit`.

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit needs labels y.")
        segments, y_segments, owner = self._segments_and_labels(X, y)
        self.segment_owner_ = owner
        try:
            super().fit(segments, y_segments, **fit_params)
        finally:
            del self.segment_owner_
        self.n_training_segments_ = int(segments.shape[0])
        return self

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train ``max_epochs`` more epochs on the segments of ``X`` (see :meth:`fit`)."""
        if getattr(self, "fitting_encoded_", False):  # called from fit: X are segments already
            return super().partial_fit(X, y, classes=classes, **fit_params)
        segments, y_segments, owner = self._segments_and_labels(X, y)
        self.segment_owner_ = owner
        try:
            super().partial_fit(segments, y_segments, classes=classes, **fit_params)
        finally:
            del self.segment_owner_
        return self

    def get_split_datasets(self, X, y=None, **fit_params):
        owner = getattr(self, "segment_owner_", None)
        if (owner is None or getattr(self, "refitting_full_", False)
                or not (isinstance(self.train_split, str) and self.train_split == "auto")):
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        y_segments = np.asarray(y)
        first = np.unique(owner, return_index=True)[1]
        y_utt = y_segments[first]
        n_utt = len(first)
        n_valid = int(np.ceil(self.valid_fraction * n_utt))
        if n_valid < 1 or n_valid >= n_utt:
            return dataset, None
        counts = np.unique(y_utt, return_counts=True)[1]
        stratified = (counts.min() >= 2 and n_valid >= counts.size
                      and n_utt - n_valid >= counts.size)
        _, valid_utt = train_test_split(np.arange(n_utt), test_size=n_valid,
                                        stratify=y_utt if stratified else None,
                                        random_state=self.random_state)
        in_valid = np.isin(owner, valid_utt)
        return (Subset(dataset, np.flatnonzero(~in_valid).tolist()),
                Subset(dataset, np.flatnonzero(in_valid).tolist()))

    def predict_proba(self, X):
        """Class probabilities per utterance: the mean over its segments.

        Parameters
        ----------
        X : segmented utterances

        Returns
        -------
        proba : ndarray of shape (n_utterances, n_classes)
            Columns follow ``classes_``.
        """
        if isinstance(X, (Dataset, torch.Tensor)):  # skorch's own calls: segments
            return super().predict_proba(X)
        segments, owner = expand_segments(X)
        return mean_by_utterance(super().predict_proba(segments), owner, int(owner[-1]) + 1)
