"""skorch estimators for VACNN pretraining and VACNN+BOVW fine-tuning (Seo & Kim 2020)."""

import os

import numpy as np
import torch

from ..models import VACNN, VACNNBOVW, freeze_until
from ..models.vacnn_pretrained import SHIPPED_VACNN, load_pretrained_vacnn
from ._base import SERNetClassifier

__all__ = ["VACNNClassifier", "VACNNBOVWClassifier", "load_encoder_state"]


class VACNNClassifier(SERNetClassifier):
    """The visual-attention CNN (VACNN) as a scikit-learn classifier.

    Trains :class:`~sklearn_ser.models.VACNN` on log-mel images with the
    paper's recipe: cross-entropy, Adam (lr 1e-3, weight decay 1e-4), StepLR
    every 10 epochs (factor 0.1), batch 8, early stopping on an internal
    stratified validation split with the best validation-accuracy weights
    restored ("model selection").

    Parameters
    ----------
    module : type or torch.nn.Module, default=VACNN
        The network; set its arguments with ``module__attention="cbam"``,
        ``module__residual=True``, ``module__widths=(...)``, etc.
    lr : float, default=1e-3
    optimizer__weight_decay : float, default=1e-4
        L2 weight decay (passed to Adam).
    max_epochs : int, default=30
    batch_size : int, default=8
    **kwargs
        Every parameter of :class:`~sklearn_ser.estimators.SERNetClassifier`
        (``train_split``, ``valid_fraction``, ``lr_step_size``, ``lr_gamma``,
        ``patience``, ``device="auto"``, ``random_state``, ``verbose``, and the
        speed and reproducibility options ``compile``, ``data_on_device``,
        ``amp``, ``channels_last``, ``deterministic``) and of
        :class:`skorch.NeuralNetClassifier`.

    Attributes
    ----------
    classes_ : ndarray
        Emotion labels seen in ``fit``.
    module_ : VACNN
        The trained network.

    See Also
    --------
    VACNNBOVWClassifier : Fine-tune a pretrained VACNN fused with BOVW.
    sklearn_ser.pretraining.pretrain_vacnn : Pretrain on several corpora and save.
    sklearn_ser.models.SpecAugment : Training-time augmentation (``module__augment``).

    Notes
    -----
    The defaults are the paper's recipe. In our EmoDB and RAVDESS runs it trained
    poorly: Adam at lr 1e-3 with batch 8 left the training loss high and the
    validation accuracy erratic, and the tenfold decays every 10 epochs stopped
    learning early. ``lr=1e-4, lr_step_size=60, max_epochs=100, patience=25,
    module__augment=SpecAugment()`` did much better; the figures of both
    recipes are in ``docs/vacnn_reproduction.md`` (repository) and the
    reproduction page of the documentation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 255, size=(16, 1, 32, 32)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 8)
    >>> clf = VACNNClassifier(max_epochs=1, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.classes_.tolist()
    ((3,), ['anger', 'sadness'])
    """

    def __init__(self, module=VACNN, *, lr=1e-3, max_epochs=30, batch_size=8,
                 optimizer__weight_decay=1e-4, **kwargs):
        super().__init__(module, lr=lr, max_epochs=max_epochs, batch_size=batch_size,
                         optimizer__weight_decay=optimizer__weight_decay, **kwargs)


def load_encoder_state(pretrained):
    """Return the ``encoder`` weights of a pretrained VACNN as a state dict.

    Parameters
    ----------
    pretrained : str, os.PathLike, dict, torch.nn.Module or fitted estimator
        - the name of a network shipped with the package
          (``"vacnn-tess-ravdess"``; see
          :func:`~sklearn_ser.models.list_pretrained_vacnn`), loaded after its
          pinned SHA-256 is checked;
        - a parameter file written by ``VACNNClassifier.save_params(f_params=...)``
          or :func:`~sklearn_ser.pretraining.pretrain_vacnn` (loaded with
          ``torch.load(..., weights_only=True)``: no pickled code runs);
        - a state dict of a :class:`~sklearn_ser.models.VACNN` (or of its encoder);
        - a :class:`~sklearn_ser.models.VACNN` module;
        - a fitted :class:`VACNNClassifier`, possibly wrapped in
          :class:`sklearn.frozen.FrozenEstimator`.

    Returns
    -------
    state : dict of str to torch.Tensor
        Keys relative to the encoder (``"stem.conv.conv.weight"``...).
    """
    source = pretrained
    if hasattr(source, "estimator") and not hasattr(source, "module_"):
        source = source.estimator  # sklearn.frozen.FrozenEstimator
    if isinstance(source, str) and source in SHIPPED_VACNN:
        state = load_pretrained_vacnn(source)
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.exists(source):
            raise FileNotFoundError(
                f"Pretrained parameter file '{os.fspath(source)}' does not exist and is not the "
                f"name of a shipped network ({', '.join(sorted(SHIPPED_VACNN))}); create it "
                "with VACNNClassifier.save_params(f_params=...) or `sklearn-ser pretrain`."
            )
        state = torch.load(source, map_location="cpu", weights_only=True)
    elif isinstance(source, torch.nn.Module):
        state = source.state_dict()
    elif isinstance(source, dict):
        state = source
    elif isinstance(source, SERNetClassifier) or hasattr(source, "initialized_"):
        if not getattr(source, "initialized_", False) or not hasattr(source, "module_"):
            raise ValueError(
                "pretrained is an unfitted estimator. If this happened inside GridSearchCV, "
                "cross_val_score or clone(), note that clone() resets fitted estimators: pass "
                "sklearn.frozen.FrozenEstimator(fitted_vacnn) or the path of its saved "
                "parameters (fitted_vacnn.save_params(f_params='vacnn.pt')) instead."
            )
        state = source.module_.state_dict()
    else:
        raise TypeError(
            "pretrained must be None, a parameter file path, a state dict, a VACNN module or a "
            f"fitted VACNNClassifier, got {type(pretrained).__name__}."
        )
    if any(key.startswith("encoder.") for key in state):
        return {key[len("encoder."):]: value for key, value in state.items()
                if key.startswith("encoder.")}
    return dict(state)


class VACNNBOVWClassifier(SERNetClassifier):
    """VACNN fused with a bag-of-visual-words histogram, optionally fine-tuned.

    Trains :class:`~sklearn_ser.models.VACNNBOVW` on dict inputs
    ``{"image": (n, 1, H, W), "bovw": (n, n_words)}``, as produced by
    :class:`~sklearn_ser.features.BOVWEncoder` with ``output="dict"``. With
    ``pretrained=`` the VACNN encoder weights are copied from a pretrained
    network and the stages up to ``freeze`` (stem and VA block 1 by default,
    as in the paper) are frozen; the rest is fine-tuned. Without it, the
    network is trained from scratch ("pure VACNN+BOVW") and nothing is frozen.

    Parameters
    ----------
    module : type or torch.nn.Module, default=VACNNBOVW
        The fusion network (``module__attention="cbam"`` for the ablation).
        ``n_classes`` and ``n_words`` are taken from the data unless set.
    pretrained : None, str, dict, torch.nn.Module or fitted VACNNClassifier, default=None
        Where the encoder weights come from; see :func:`load_encoder_state`.
        ``"vacnn-tess-ravdess"`` names a VACNN pretrained on TESS + RAVDESS at
        128x128 that ships with the package (model card:
        :func:`~sklearn_ser.models.pretrained_vacnn_card`).
        Weights are re-copied at every ``fit`` (each cross-validation fold
        starts from the pretrained network). Its architecture (attention type,
        widths) must match ``module``'s.
    freeze : {"stem", "va1", "va2", "va3"} or None, default="va1"
        Last encoder stage kept frozen when ``pretrained`` is given.
    lr, max_epochs, batch_size, optimizer__weight_decay, **kwargs
        As in :class:`VACNNClassifier`.

    Attributes
    ----------
    classes_ : ndarray
    module_ : VACNNBOVW
    frozen_parameters_ : list of str
        Names of the parameters kept frozen.

    Notes
    -----
    The defaults are the paper's recipe; see :class:`VACNNClassifier` for the
    recipe that trained better in our runs (the same parameters apply here,
    ``module__augment`` augmenting the images and not the histograms).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier, VACNNBOVWClassifier
    >>> rng = np.random.default_rng(0)
    >>> images = rng.uniform(0, 255, size=(16, 1, 32, 32)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 8)
    >>> vacnn = VACNNClassifier(max_epochs=1, random_state=0).fit(images, y)
    >>> X = {"image": images, "bovw": rng.dirichlet(np.ones(8), 16).astype("float32")}
    >>> clf = VACNNBOVWClassifier(pretrained=vacnn, max_epochs=1, random_state=0).fit(X, y)
    >>> sorted({name.split(".")[1] for name in clf.frozen_parameters_})
    ['stem', 'va1']
    """

    # Read by initialize_module only; persistence does not need the file at load time.
    _weight_source_params = ("pretrained",)

    def __init__(self, module=VACNNBOVW, *, pretrained=None, freeze="va1", lr=1e-3,
                 max_epochs=30, batch_size=8, optimizer__weight_decay=1e-4, **kwargs):
        super().__init__(module, lr=lr, max_epochs=max_epochs, batch_size=batch_size,
                         optimizer__weight_decay=optimizer__weight_decay, **kwargs)
        self.pretrained = pretrained
        self.freeze = freeze

    def _infer_module_params(self, X, y):
        if not isinstance(X, dict) or not {"image", "bovw"} <= set(X):
            raise TypeError(
                "VACNNBOVWClassifier needs X = {'image': (n, 1, H, W), 'bovw': (n, n_words)}; "
                f"got {type(X).__name__}. Put BOVWEncoder(output='dict') before it in the "
                "pipeline: make_pipeline(LogMelImage(), BOVWEncoder(output='dict'), "
                "VACNNBOVWClassifier())."
            )
        params = super()._infer_module_params(X, y)
        params["n_words"] = int(np.shape(X["bovw"])[1])
        return params

    def initialize_module(self):
        super().initialize_module()
        self.frozen_parameters_ = []
        if self.pretrained is None:
            return self
        shipped = SHIPPED_VACNN.get(self.pretrained) if isinstance(self.pretrained, str) else None
        attention = getattr(self, "module__attention", "va")
        if shipped is not None and shipped.attention != attention:
            twin = [s.name for s in SHIPPED_VACNN.values() if s.attention == attention]
            raise ValueError(
                f"pretrained={self.pretrained!r} is a network with {shipped.attention!r} "
                f"attention but module__attention={attention!r}; set "
                f"module__attention={shipped.attention!r}"
                + (f" or pretrained={twin[0]!r}." if twin else ".")
            )
        state = load_encoder_state(self.pretrained)
        try:
            self.module_.encoder.load_state_dict(state)
        except RuntimeError as exc:
            raise ValueError(
                "The pretrained weights do not fit this network's encoder; the pretrained VACNN "
                "must use the same attention type, widths and input channels as "
                f"VACNNBOVWClassifier's module (module__attention, module__widths). {exc}"
            ) from exc
        self.frozen_parameters_ = freeze_until(self.module_, self.freeze)
        return self
