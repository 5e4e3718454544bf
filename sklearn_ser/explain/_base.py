"""What every explanation method shares: the network behind an estimator, its input, targets.

An explanation needs the fitted :class:`torch.nn.Module` of a skorch estimator, the image
tensor it reads and, for dict inputs (``{"image", "bovw"}``), the other entries that travel
with each image. :func:`prepare` resolves all three once; the methods then call
:meth:`Prepared.logits` (with gradients, for Grad-CAM) or :meth:`Prepared.predict_proba`
(batched, without gradients, for LIME and occlusion).
"""

import inspect
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from ..utils._networks import unwrap_estimator
from ..utils.device import module_device, to_device

__all__ = ["Prepared", "prepare", "split_pipeline"]

#: The dict entry holding the spectrogram image, as produced by ``BOVWEncoder(output="dict")``.
IMAGE_KEY = "image"

_FILLS = ("mean", "zero", "noise")


def _check_net(net, func):
    if not (hasattr(net, "module") and hasattr(net, "infer")):
        raise TypeError(
            f"{func} explains a neural network of sklearn_ser.estimators (a skorch net such as "
            f"VACNNClassifier), or a Pipeline ending in one; got {type(net).__name__}."
        )
    if not getattr(net, "initialized_", False) or not hasattr(net, "module_"):
        raise ValueError(
            f"{type(net).__name__} is not fitted: call fit(X, y) before {func}."
        )
    try:
        net.classes_  # noqa: B018 - skorch raises AttributeError when it is not set
    except AttributeError:
        raise ValueError(
            f"{type(net).__name__} has no classes_: fit it on labelled data (fit(X, y)) before "
            f"{func}."
        ) from None


def split_pipeline(estimator, X, func="the explanation"):
    """Return the fitted network at the end of ``estimator`` and ``X`` transformed for it.

    Parameters
    ----------
    estimator : fitted skorch estimator or Pipeline ending in one
        ``GridSearchCV`` (its ``best_estimator_``) and ``FrozenEstimator`` are unwrapped.
    X : any
        Input of ``estimator``; when it is a Pipeline, every step before the last is applied.
    func : str, default="the explanation"
        Name used in error messages.

    Returns
    -------
    net : skorch.NeuralNet
        The fitted network estimator.
    Xt : ndarray or dict
        The network's input.
    """
    estimator = unwrap_estimator(estimator)
    if isinstance(estimator, Pipeline):
        net = unwrap_estimator(estimator.steps[-1][1])
        _check_net(net, func)
        Xt = estimator[:-1].transform(X) if len(estimator.steps) > 1 else X
    else:
        net = estimator
        _check_net(net, func)
        Xt = X
    return net, Xt


def _as_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _image_key(module, X):
    if IMAGE_KEY in X:
        return IMAGE_KEY
    try:
        params = list(inspect.signature(module.forward).parameters)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        params = []
    if params and params[0] in X:
        return params[0]
    raise ValueError(
        f"Cannot tell which entry of the dict input is the spectrogram image: keys are "
        f"{sorted(X)}. Name it '{IMAGE_KEY}' (as BOVWEncoder(output='dict') does) or make it "
        f"the first argument of the network's forward()."
    )


def _is_segmented(X):
    """True for one ``(n_segments, C, H, W)`` stack per utterance (a list or object array)."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return False
    if not isinstance(X, (list, tuple, np.ndarray)) or len(X) == 0:
        return False
    return all(np.ndim(item) == 4 for item in X)


def _check_images(images, where):
    if _is_segmented(images):
        raise ValueError(
            f"{where} reaches the network as segmented utterances (one (n_segments, C, H, W) "
            f"stack per utterance); explanations work on images. Stack the segments into one "
            f"(n_segments_total, C, H, W) array (sklearn_ser.features.segments.expand_segments "
            f"does, and returns each segment's utterance) and explain the network on it."
        )
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"{where} must be images of shape (n_samples, n_channels, height, width), got an "
            f"array of shape {images.shape}. For one image use X[None] or X[i:i + 1]; for "
            f"audio files, explain a Pipeline that starts with LogMelImage."
        )
    if images.shape[0] == 0:
        raise ValueError(f"{where} holds no images: give at least one.")
    images = images.astype(np.float32, copy=False)
    if not np.isfinite(images).all():
        raise ValueError(f"{where} holds NaN or infinite pixels; explanations need finite images.")
    return images


class Prepared:
    """A fitted network and the input it reads, ready to be perturbed and run.

    Parameters
    ----------
    net : skorch.NeuralNet
        Fitted network estimator.
    Xt : ndarray of shape (n, C, H, W) or dict
        Its input; a dict must hold the image under ``"image"`` (or under the name of the
        first argument of ``net.module_.forward``).

    Attributes
    ----------
    images : ndarray of shape (n, C, H, W), float32
        The images explained.
    key : str or None
        Dict entry of the images (``None`` for array input).
    others : dict
        The other dict entries, indexed by sample when the images are perturbed.
    classes : ndarray
        ``net.classes_``.
    """

    def __init__(self, net, Xt):
        self.net = net
        self.module = net.module_
        if isinstance(Xt, dict):
            self.key = _image_key(self.module, Xt)
            self.images = _check_images(_as_numpy(Xt[self.key]), f"X[{self.key!r}]")
            self.others = {k: v for k, v in Xt.items() if k != self.key}
            for k, v in self.others.items():
                if len(v) != self.images.shape[0]:
                    raise ValueError(
                        f"X[{k!r}] has {len(v)} rows but X[{self.key!r}] has "
                        f"{self.images.shape[0]} images; every entry needs one row per sample."
                    )
        else:
            self.key = None
            self.images = _check_images(_as_numpy(Xt), "X")
            self.others = {}
        self.classes = np.asarray(net.classes_)
        params = [p for p in self.module.parameters() if p.is_floating_point()]
        # Inputs go where the weights are (not to ``net.device``: a network may have been moved
        # after fitting, or loaded onto another device).
        self.device = module_device(self.module, default=torch.device(net.device))
        self.dtype = params[0].dtype if params else torch.float32
        self._nonlinearity = (
            net._get_predict_nonlinearity() if hasattr(net, "_get_predict_nonlinearity")
            else (lambda z: torch.softmax(z, dim=-1))
        )

    @property
    def n_samples(self):
        return self.images.shape[0]

    @property
    def image_shape(self):
        return self.images.shape[2:]

    def tensor(self, images):
        """Images (m, C, H, W) as a tensor on the network's device and dtype."""
        images = torch.as_tensor(np.ascontiguousarray(images), dtype=self.dtype)
        return to_device(images, self.device)

    def logits(self, images, index):
        """Run the network on image tensor ``images`` of samples ``index`` (int array).

        The other dict entries of those samples go with the images. Returns the first output
        of the network (its logits) when it returns a tuple.
        """
        if self.key is None:
            out = self.module(to_device(images, self.device))
        else:
            inputs = to_device({k: _take(v, index) for k, v in self.others.items()}, self.device)
            inputs[self.key] = to_device(images, self.device)
            out = self.module(**inputs)
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out

    def proba(self, logits):
        """Class probabilities from logits, as the estimator's ``predict_proba`` computes them."""
        return self._nonlinearity(logits)

    def predict_proba(self, images, index, batch_size):
        """Probabilities ``(m, n_classes)`` of images ``(m, C, H, W)`` of samples ``index``."""
        out = []
        with eval_mode(self.module), torch.no_grad():
            for start in range(0, images.shape[0], batch_size):
                stop = start + batch_size
                logits = self.logits(self.tensor(images[start:stop]), index[start:stop])
                out.append(self.proba(logits).detach().cpu().numpy())
        return np.concatenate(out).astype(np.float64, copy=False)

    def target_indices(self, target):
        """Class indices ``(n,)`` for ``target``, or ``None`` for "the predicted class"."""
        return resolve_targets(target, self.classes, self.n_samples)


def _take(value, index):
    if isinstance(value, torch.Tensor):
        return value[torch.as_tensor(index)]
    return np.asarray(value)[index]


def prepare(estimator, X, func):
    """Resolve ``estimator`` (network or Pipeline) and ``X`` into a :class:`Prepared`."""
    net, Xt = split_pipeline(estimator, X, func)
    return Prepared(net, Xt)


@contextmanager
def eval_mode(module):
    """Put ``module`` in eval mode, and give every submodule its own mode back afterwards."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, mode in modes:
            m.training = mode


def resolve_targets(target, classes, n_samples):
    """Turn ``target`` into class indices.

    Parameters
    ----------
    target : None, label, int, or sequence of them
        ``None``: the predicted class (returns ``None``). A value found in ``classes`` is a
        label; otherwise an integer in ``[0, n_classes)`` is a class index. One value applies
        to every sample; a sequence gives one per sample.
    classes : ndarray of shape (n_classes,)
    n_samples : int

    Returns
    -------
    indices : ndarray of shape (n_samples,) of int, or None
    """
    if target is None:
        return None
    if np.ndim(target) > 1:
        raise ValueError(
            f"target must be one value or a 1-D sequence, got shape {np.shape(target)}."
        )
    classes = list(np.asarray(classes).tolist())
    lookup = {c: i for i, c in enumerate(classes)}
    values = [target] if np.ndim(target) == 0 else list(np.asarray(target, dtype=object))
    if np.ndim(target) == 1 and len(values) != n_samples:
        raise ValueError(
            f"target has {len(values)} values but X has {n_samples} samples; give one target "
            f"per sample, a single target for all, or None for the predicted classes."
        )
    indices = []
    for value in values:
        value = value.item() if isinstance(value, np.generic) else value
        if value in lookup:
            indices.append(lookup[value])
        elif (isinstance(value, Integral) and not isinstance(value, bool)
              and 0 <= value < len(classes)):
            indices.append(int(value))
        else:
            raise ValueError(
                f"target {value!r} is neither a class label of the estimator {classes} nor a "
                f"class index in [0, {len(classes)}); pass one of those, or None for the "
                f"predicted class."
            )
    indices = np.asarray(indices, dtype=np.intp)
    return np.full(n_samples, indices[0]) if np.ndim(target) == 0 else indices


def fill_image(image, fill, rng):
    """The image a masked region is replaced with (same shape as ``image``).

    ``"mean"``: the image's mean pixel value; ``"zero"``: 0 (silence in a min-max scaled
    log-mel image); ``"noise"``: Gaussian noise with the image's mean and standard deviation,
    clipped to its range (drawn from ``rng``); a number: that constant.
    """
    if isinstance(fill, str):
        if fill == "mean":
            return np.full_like(image, image.mean())
        if fill == "zero":
            return np.zeros_like(image)
        if fill == "noise":
            noise = rng.normal(image.mean(), image.std(), size=image.shape)
            return np.clip(noise, image.min(), image.max()).astype(image.dtype)
    return np.full_like(image, float(fill))


def check_fill(fill):
    """Validate a ``fill`` argument (see :func:`fill_image`)."""
    if isinstance(fill, str) and fill in _FILLS:
        return fill
    if isinstance(fill, Real) and not isinstance(fill, bool) and np.isfinite(fill):
        return fill
    raise ValueError(
        f"fill must be 'mean', 'zero', 'noise' or a finite number (the pixel value masked "
        f"regions take), got {fill!r}."
    )


def check_positive_int(value, name):
    if isinstance(value, Integral) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def check_pair(value, name, limits=None):
    """An int or a pair of ints, as ``(rows, columns)``; each at most ``limits``."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in pair
    ):
        raise ValueError(
            f"{name} must be a positive integer or a pair (frequency rows, time columns) of "
            f"positive integers, got {value!r}."
        )
    pair = (int(pair[0]), int(pair[1]))
    if limits is not None and (pair[0] > limits[0] or pair[1] > limits[1]):
        raise ValueError(
            f"{name}={pair} does not fit the {limits[0]}x{limits[1]} images; use at most "
            f"{tuple(int(v) for v in limits)}."
        )
    return pair
