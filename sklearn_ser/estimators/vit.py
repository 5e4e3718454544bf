"""Estimators for vertical-patch ViTs and teacher-to-student distillation (Kim & Lee 2024).

:class:`ViTClassifier` trains one network of :mod:`sklearn_ser.models.vit` with cross-entropy
(the teacher of stage 1, or a plain student as the baseline). :class:`DistilledViTClassifier`
runs the whole three-stage recipe and predicts with the distilled student.
"""

import copy
import time
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, check_is_fitted
from skorch.callbacks import EarlyStopping

from ..models.vit import (
    DistillationLoss,
    FeatureMapDistiller,
    StudentViT,
    TeacherViT,
    resolve_distill_pairs,
)
from ..utils.device import module_device, to_device
from ._base import SERNetClassifier, resolve_device
from ._performance import COMPILE_MODES, deterministic_algorithms

__all__ = ["DistilledViTClassifier", "ViTClassifier"]

#: Architecture parameters shared by the teacher and the student (so that their token maps
#: have the same shapes and can be matched).
_SHARED_ARCHITECTURE = (
    "patch_width", "embed_dim", "depth", "n_heads", "mlp_ratio", "dropout", "pool", "max_value",
)

#: Stage names, in training order: keys of ``DistilledViTClassifier.histories_``.
STAGES = ("teacher", "matching", "student")


def _image_shape(X, owner):
    """``(channels, height, width)`` of a batch of images, with an error saying how to get them."""
    shape = np.shape(X)
    if len(shape) != 4:
        raise ValueError(
            f"{owner} needs images of shape (n_samples, channels, height, width), got an array "
            f"of shape {shape}. Put LogMelImage(size=(128, 128)) before it: "
            f"make_pipeline(LogMelImage(size=(128, 128)), {owner}(...))."
        )
    return tuple(int(d) for d in shape[1:])


class ViTClassifier(SERNetClassifier):
    """A vertical-patch ViT (student or teacher) trained with cross-entropy, as a classifier.

    The image height and channels are read from ``X`` at fit time (a token spans the full
    height). Stage 1 of :class:`DistilledViTClassifier` is this estimator with
    ``module=TeacherViT``; with the default ``StudentViT`` it is the plain student (no
    distillation) that the method is compared with.

    Parameters
    ----------
    module : type or torch.nn.Module, default=StudentViT
        :class:`~sklearn_ser.models.vit.StudentViT`, :class:`~sklearn_ser.models.vit.TeacherViT`
        or :class:`~sklearn_ser.models.vit.VerticalPatchViT`; set its architecture with
        ``module__patch_width=4``, ``module__embed_dim=192``, ``module__depth=6``...
    lr : float, default=5e-4
    max_epochs : int, default=50
        The paper trains each stage for 50 epochs.
    batch_size : int, default=32
    optimizer : torch optimizer class, default=torch.optim.AdamW
    optimizer__weight_decay : float, default=0.01
    lr_step_size : int, default=20
        Epochs between learning-rate decays (by ``lr_gamma=0.1``).
    **kwargs
        Every parameter of :class:`~sklearn_ser.estimators.SERNetClassifier` (``train_split``,
        ``valid_fraction``, ``lr_gamma``, ``patience``, ``device="auto"``, ``random_state``,
        ``verbose``, ``compile``, ``data_on_device``, ``amp``, ``channels_last``,
        ``deterministic``) and of :class:`skorch.NeuralNetClassifier`.

    Attributes
    ----------
    classes_ : ndarray
        Emotion labels seen in ``fit``.
    module_ : VerticalPatchViT
        The trained network.
    history_ : skorch.History

    Notes
    -----
    The optimiser, learning rate, schedule and batch size are not in the extracted paper text;
    the defaults are our choice (AdamW, 5e-4, StepLR every 20 epochs, 32).

    See Also
    --------
    DistilledViTClassifier : teacher → feature-map matching → distilled student.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators.vit import ViTClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 255, size=(12, 1, 16, 16)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 6)
    >>> clf = ViTClassifier(module__embed_dim=8, module__depth=1, module__n_heads=2,
    ...                     max_epochs=1, train_split=None, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.module_.patch_embed.height
    ((3,), 16)
    """

    def __init__(self, module=StudentViT, *, lr=5e-4, max_epochs=50, batch_size=32,
                 optimizer=torch.optim.AdamW, optimizer__weight_decay=0.01, lr_step_size=20,
                 **kwargs):
        super().__init__(module, lr=lr, max_epochs=max_epochs, batch_size=batch_size,
                         optimizer=optimizer, optimizer__weight_decay=optimizer__weight_decay,
                         lr_step_size=lr_step_size, **kwargs)

    def _infer_module_params(self, X, y):
        channels, height, _ = _image_shape(X, type(self).__name__)
        params = super()._infer_module_params(X, y)
        params.update(height=height, in_channels=channels)
        return params


class _DistillationNet(SERNetClassifier):
    """skorch loop over a :class:`FeatureMapDistiller` with a :class:`DistillationLoss`.

    ``monitor="valid_loss"`` makes early stopping follow the (L1) validation loss instead of the
    validation accuracy: in the matching stage the student's head gets no gradient, so its
    accuracy says nothing.
    """

    def __init__(self, module=FeatureMapDistiller, *, criterion=DistillationLoss,
                 monitor="valid_acc", **kwargs):
        super().__init__(module, criterion=criterion, **kwargs)
        self.monitor = monitor

    @property
    def _default_callbacks(self):
        callbacks = []
        for name, callback in super()._default_callbacks:
            if name == "early_stopping" and self.monitor == "valid_loss":
                callback = EarlyStopping(monitor="valid_loss", lower_is_better=True,
                                         patience=self.patience, threshold=0.0, load_best=True)
            callbacks.append((name, callback))
        return callbacks

    def _infer_module_params(self, X, y):
        return {}  # the distiller wraps networks that already exist


class DistilledViTClassifier(ClassifierMixin, BaseEstimator):
    """Teacher-to-student distillation of a vertical-patch ViT (Kim & Lee 2024), as one classifier.

    ``fit`` runs the paper's three stages on the same training data:

    1. **teacher**: :class:`~sklearn_ser.models.vit.TeacherViT` (size-keeping convolutional
       stem + x, y coordinate channels + vertical-patch ViT) trained with cross-entropy for
       ``teacher_epochs``;
    2. **matching**: :class:`~sklearn_ser.models.vit.StudentViT` (plain ViT, no positional
       encoding) trained for ``matching_epochs`` to minimise the L1 (mean absolute error)
       between its feature maps and the frozen teacher's, for the pairs in ``distill_pairs``;
    3. **student**: the student trained for ``student_epochs`` with
       ``cross_entropy + alpha * L1`` (same pairs, teacher still frozen).

    ``predict`` and ``predict_proba`` use the student; ``network="teacher"`` uses the teacher.
    Every stage uses the same optimiser settings, the same internal validation split (early
    stopping restores each stage's best epoch; the matching stage monitors the validation L1)
    and the same seed.

    Parameters
    ----------
    patch_width : int, default=4
        Frames per vertical strip (token); the image width must be a multiple of it.
    embed_dim : int, default=192
        Token size of both transformers.
    depth : int, default=6
        Transformer blocks of both networks.
    n_heads : int, default=3
        Attention heads (``embed_dim`` must be divisible by it).
    mlp_ratio : float, default=4.0
        MLP hidden size as a multiple of ``embed_dim``.
    dropout : float, default=0.1
        Dropout after the embedding and inside the blocks.
    stem_channels : tuple of int, default=(16, 32, 64)
        Channels of the teacher's stride-1 convolution blocks (multiples of 8).
    pool : {"cls", "mean"}, default="cls"
        Classify from a class token or from the mean token.
    distill_pairs : {"blocks", "last"} or list, default="blocks"
        Feature maps matched in stages 2 and 3 (see
        :func:`~sklearn_ser.models.vit.resolve_distill_pairs`): ``"blocks"`` pairs every
        transformer block's output with the same block of the teacher; ``"last"`` only the last
        block; a list may hold block indices (``[2, -1]``), map names of both networks
        (``"embed"``, ``"block3"``, ``"norm"``) or ``(student_name, teacher_name)`` pairs
        (``[("block3", "block3")]``). The L1 is the mean absolute difference of each pair,
        averaged over the pairs. The teacher's image-shaped ``"stem"`` and ``"coords"`` maps
        have no student counterpart and are refused.
    alpha : float, default=1.0
        Weight of the L1 term in stage 3 (the paper's α; its value is not in the extracted
        text). ``alpha=0`` makes stage 3 plain cross-entropy fine-tuning of the matched student.
    teacher_epochs : int, default=50
        Epochs of stage 1 (the paper: 50 per stage).
    matching_epochs : int, default=50
        Epochs of stage 2; 0 skips it.
    student_epochs : int, default=50
        Epochs of stage 3; 0 skips it (the student's head is then untrained: use only to
        study the matching).
    lr : float, default=5e-4
        AdamW learning rate of every stage.
    weight_decay : float, default=0.01
        AdamW weight decay.
    batch_size : int, default=32
    lr_step_size : int, default=20
        Epochs between learning-rate decays (StepLR) within a stage.
    lr_gamma : float, default=0.1
        Learning-rate decay factor.
    train_split : "auto" or None, default="auto"
        ``"auto"``: a stratified ``valid_fraction`` of the training data is held out (the same
        samples in every stage) for early stopping; None: train on everything, no early
        stopping.
    valid_fraction : float, default=0.2
    patience : int, default=10
        Epochs without improvement before a stage stops early.
    max_value : float, default=255.0
        Networks divide their input by it (``LogMelImage`` images lie in ``[0, 255]``).
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
    random_state : int, RandomState or None, default=None
        Seeds one integer from which every stage's initialisation, shuffling and validation
        split derive.
    verbose : int, default=0
        > 0 prints each stage's name and skorch's epoch table.
    compile : bool or str, default=False
        ``torch.compile`` the networks of every stage (``True`` or a mode such as
        ``"reduce-overhead"``); see :class:`~sklearn_ser.estimators.SERNetClassifier`.
    data_on_device : "auto" or bool, default="auto"
        Keep the training images on the GPU during each stage when they fit (``"auto"``: on
        CUDA only).
    amp : bool, default=False
        bfloat16 autocast of the forward passes.
    deterministic : bool, default=False
        Deterministic algorithms only in every stage and in prediction (bit-identical CUDA
        runs for the same ``random_state``); global torch flags are restored afterwards.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels seen in ``fit``.
    teacher_ : TeacherViT
        The trained teacher (frozen, eval mode).
    student_ : StudentViT
        The distilled student used by ``predict``.
    pairs_ : list of (str, str)
        The resolved ``(student_name, teacher_name)`` pairs.
    histories_ : dict of str to skorch.History
        Epoch logs of the stages that ran, under ``"teacher"``, ``"matching"``, ``"student"``.
    fit_times_ : dict of str to float
        Wall-clock seconds of each stage.
    image_shape_ : tuple of int
        ``(channels, height, width)`` of the training images.
    seed_ : int
        The seed every stage used, drawn from ``random_state``; a
        ``ViTClassifier(random_state=seed_)`` with the same settings gets the same validation
        split and the same initial student (the fair plain-student baseline).

    See Also
    --------
    ViTClassifier : one network trained with cross-entropy (teacher, or plain student baseline).
    sklearn_ser.utils.complexity.flops_and_params : FLOPs and parameters of ``teacher_`` and
        ``student_``.

    Notes
    -----
    Architecture and optimisation values the extracted paper text does not give (patch width,
    token size, depth, heads, stem widths, α, optimiser, learning rate, batch size) are our
    choices and all are parameters; the defaults follow ViT-Tiny in spirit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators.vit import DistilledViTClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 255, size=(12, 1, 16, 16)).astype("float32")
    >>> y = np.array(["anger", "sadness"] * 6)
    >>> clf = DistilledViTClassifier(embed_dim=8, depth=2, n_heads=2, stem_channels=(8,),
    ...                              distill_pairs=[("block1", "block1")], teacher_epochs=1,
    ...                              matching_epochs=1, student_epochs=1, train_split=None,
    ...                              random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, sorted(clf.histories_)
    ((3,), ['matching', 'student', 'teacher'])
    >>> clf.predict(X[:3], network="teacher").shape
    (3,)
    """

    _parameter_constraints = {
        "patch_width": [Interval(Integral, 1, None, closed="left")],
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "depth": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "mlp_ratio": [Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "stem_channels": [tuple, list],
        "pool": [StrOptions({"cls", "mean"})],
        "distill_pairs": [StrOptions({"blocks", "last"}), list, tuple],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "teacher_epochs": [Interval(Integral, 1, None, closed="left")],
        "matching_epochs": [Interval(Integral, 0, None, closed="left")],
        "student_epochs": [Interval(Integral, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr_step_size": [Interval(Integral, 1, None, closed="left")],
        "lr_gamma": [Interval(Real, 0, 1, closed="right")],
        "train_split": [StrOptions({"auto"}), None],
        "valid_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "max_value": [Interval(Real, 0, None, closed="neither")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "compile": ["boolean", StrOptions(set(COMPILE_MODES))],
        "data_on_device": ["boolean", StrOptions({"auto"})],
        "amp": ["boolean"],
        "deterministic": ["boolean"],
    }

    def __init__(self, *, patch_width=4, embed_dim=192, depth=6, n_heads=3, mlp_ratio=4.0,
                 dropout=0.1, stem_channels=(16, 32, 64), pool="cls", distill_pairs="blocks",
                 alpha=1.0, teacher_epochs=50, matching_epochs=50, student_epochs=50, lr=5e-4,
                 weight_decay=0.01, batch_size=32, lr_step_size=20, lr_gamma=0.1,
                 train_split="auto", valid_fraction=0.2, patience=10, max_value=255.0,
                 device="auto", random_state=None, verbose=0, compile=False,
                 data_on_device="auto", amp=False, deterministic=False):
        self.patch_width = patch_width
        self.embed_dim = embed_dim
        self.depth = depth
        self.n_heads = n_heads
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout
        self.stem_channels = stem_channels
        self.pool = pool
        self.distill_pairs = distill_pairs
        self.alpha = alpha
        self.teacher_epochs = teacher_epochs
        self.matching_epochs = matching_epochs
        self.student_epochs = student_epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.lr_step_size = lr_step_size
        self.lr_gamma = lr_gamma
        self.train_split = train_split
        self.valid_fraction = valid_fraction
        self.patience = patience
        self.max_value = max_value
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.compile = compile
        self.data_on_device = data_on_device
        self.amp = amp
        self.deterministic = deterministic

    # -- checks ----------------------------------------------------------------------------------
    def _check_architecture(self, image_shape):
        _, _, width = image_shape
        if self.embed_dim % self.n_heads:
            raise ValueError(
                f"embed_dim={self.embed_dim} must be divisible by n_heads={self.n_heads}; "
                "change one of them (e.g. embed_dim=192, n_heads=3)."
            )
        if width % self.patch_width:
            raise ValueError(
                f"The image width {width} is not a multiple of patch_width={self.patch_width}; "
                f"pick a patch_width that divides {width} (e.g. 4 for 128-wide LogMelImage "
                "output) or resize the images."
            )
        channels = tuple(self.stem_channels)
        if not channels or not all(
            isinstance(c, Integral) and not isinstance(c, bool) and c > 0 and c % 8 == 0
            for c in channels
        ):
            raise ValueError(
                f"stem_channels must be a non-empty tuple of positive multiples of 8 (GroupNorm "
                f"with 8 groups), e.g. (16, 32, 64); got {self.stem_channels!r}."
            )

    def _check_images(self, X):
        X = np.asarray(X, dtype=np.float32)
        _image_shape(X, type(self).__name__)
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite pixels.")
        return X

    # -- training --------------------------------------------------------------------------------
    def _net_params(self, seed):
        """Settings shared by the skorch nets of the three stages."""
        return dict(
            lr=self.lr, batch_size=self.batch_size, optimizer=torch.optim.AdamW,
            optimizer__weight_decay=self.weight_decay, lr_step_size=self.lr_step_size,
            lr_gamma=self.lr_gamma, train_split=self.train_split,
            valid_fraction=self.valid_fraction, patience=self.patience, device=self.device,
            random_state=seed, verbose=max(0, int(self.verbose)), compile=self.compile,
            data_on_device=self.data_on_device, amp=self.amp, deterministic=self.deterministic,
        )

    def _architecture(self):
        return {name: getattr(self, name) for name in _SHARED_ARCHITECTURE}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Run the three stages: teacher, feature-map matching, distilled student.

        Parameters
        ----------
        X : array-like of shape (n_samples, channels, height, width)
            Images, e.g. the output of ``LogMelImage(size=(128, 128))``.
        y : array-like of shape (n_samples,)
            Labels (strings or integers).

        Returns
        -------
        self
        """
        X = self._check_images(X)
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit needs labels y.")
        y = np.asarray(y)
        check_consistent_length(X, y)
        check_classification_targets(y)
        self.image_shape_ = X.shape[1:]
        self._check_architecture(self.image_shape_)
        pairs = resolve_distill_pairs(self.distill_pairs, self.depth)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        net_params = self._net_params(seed)
        architecture = self._architecture()
        module_params = {f"module__{name}": value for name, value in architecture.items()}

        self.histories_, self.fit_times_ = {}, {}
        self._announce("teacher")
        start = time.perf_counter()
        teacher_net = ViTClassifier(
            TeacherViT, max_epochs=self.teacher_epochs,
            module__stem_channels=tuple(self.stem_channels), **module_params, **net_params,
        ).fit(X, y)
        self.fit_times_["teacher"] = time.perf_counter() - start
        self.histories_["teacher"] = teacher_net.history
        self.classes_ = teacher_net.classes_
        teacher = teacher_net.module_.eval()

        channels, height, _ = self.image_shape_
        device = resolve_device(self.device)
        with torch.random.fork_rng(devices=_cuda_devices(device)):
            torch.manual_seed(seed)
            student = StudentViT(len(self.classes_), height=height, in_channels=channels,
                                 **architecture).to(device)

        stages = (("matching", self.matching_epochs, 0.0, 1.0, "valid_loss"),
                  ("student", self.student_epochs, 1.0, self.alpha, "valid_acc"))
        for name, epochs, ce_weight, alpha, monitor in stages:
            if epochs == 0:
                continue
            self._announce(name)
            start = time.perf_counter()
            net = _DistillationNet(
                module__student=student, module__teacher=teacher, module__pairs=pairs,
                criterion__ce_weight=ce_weight, criterion__alpha=alpha, monitor=monitor,
                max_epochs=epochs, **net_params,
            ).fit(X, y)
            self.fit_times_[name] = time.perf_counter() - start
            self.histories_[name] = net.history

        self.teacher_ = teacher.eval()
        self.student_ = student.eval()
        self.pairs_ = pairs
        self.seed_ = seed
        return self

    def _announce(self, stage):
        if self.verbose:
            print(f"[{type(self).__name__}] stage {STAGES.index(stage) + 1}: {stage}")

    # -- inference -------------------------------------------------------------------------------
    def _network(self, network):
        check_is_fitted(self, "student_")
        if network == "student":
            return self.student_
        if network == "teacher":
            return self.teacher_
        raise ValueError(f"network must be 'student' or 'teacher', got {network!r}.")

    def _batches(self, X):
        X = self._check_images(X)
        if X.shape[1:] != tuple(self.image_shape_):
            raise ValueError(
                f"{type(self).__name__} was fitted on images of shape {tuple(self.image_shape_)} "
                f"(channels, height, width), got {X.shape[1:]}; compute them with the same "
                "LogMelImage settings as for fit."
            )
        for start in range(0, X.shape[0], self.batch_size):
            yield torch.as_tensor(X[start:start + self.batch_size])

    def predict_proba(self, X, network="student"):
        """Class probabilities of the student (or of the teacher).

        Parameters
        ----------
        X : array-like of shape (n_samples, channels, height, width)
            Images of the shape seen in ``fit``.
        network : {"student", "teacher"}, default="student"
            Which trained network answers.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        module = self._network(network)
        device = module_device(module)
        module.eval()
        probas = []
        with torch.no_grad(), deterministic_algorithms(self.deterministic):
            for batch in self._batches(X):
                logits = module(to_device(batch, device)).float()
                probas.append(torch.softmax(logits, dim=1).cpu().numpy())
        if not probas:
            raise ValueError("X holds no images: give at least one sample.")
        return np.concatenate(probas)

    def predict(self, X, network="student"):
        """Predict labels (in the form given to ``fit``) with the student (or the teacher).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self.classes_[self.predict_proba(X, network=network).argmax(axis=1)]

    def feature_distances(self, X):
        """Mean L1 distance between the student's and the teacher's paired maps on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, channels, height, width)

        Returns
        -------
        distances : ndarray of shape (len(pairs_),)
            Mean absolute difference of each pair in ``pairs_``, averaged over the samples
            (both networks in eval mode).
        """
        check_is_fitted(self, "student_")
        distiller = FeatureMapDistiller(self.student_, self.teacher_, self.pairs_).eval()
        device = module_device(self.student_)
        total, count = 0.0, 0
        with torch.no_grad(), deterministic_algorithms(self.deterministic):
            for batch in self._batches(X):
                batch = to_device(batch, device)
                distances = distiller.pair_distances(
                    self.student_.forward_features(batch), self.teacher_.forward_features(batch))
                total = total + distances.cpu().numpy().astype(np.float64) * len(batch)
                count += len(batch)
        if count == 0:
            raise ValueError("X holds no images: give at least one sample.")
        return total / count

    # -- pickling --------------------------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        for key in ("teacher_", "student_"):
            module = state.get(key)
            if module is not None and any(p.device.type != "cpu" for p in module.parameters()):
                state[key] = copy.deepcopy(module).cpu()  # unpickles on a CPU-only machine
        return state

    def __setstate__(self, state):
        for name, default in (("compile", False), ("data_on_device", "auto"), ("amp", False),
                              ("deterministic", False)):
            state.setdefault(name, default)  # pickled before the option existed
        super().__setstate__(state)
        device = resolve_device(self.device)
        for key in ("teacher_", "student_"):
            if key in self.__dict__:
                self.__dict__[key].to(device)


def _cuda_devices(device):
    if str(device).startswith("cuda") and torch.cuda.is_available():
        return [torch.device(device).index or 0]
    return []
