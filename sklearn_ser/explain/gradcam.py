"""Grad-CAM: where in the spectrogram the last feature map supports the explained class.

Selvaraju et al.'s gradient-weighted class activation mapping: the feature map ``A`` of a
layer (``K`` channels on an ``h x w`` grid) is weighted channel by channel with the spatial
mean of the class score's gradient, summed over channels, clipped at zero and upsampled
bilinearly to the image::

    alpha_k = mean_ij d y_c / d A_kij
    cam     = ReLU(sum_k alpha_k A_k)        (h, w)  ->  bilinear  ->  (H, W)

``y_c`` is the network's output for class ``c`` before the softmax (its logit).
"""

import numpy as np
import torch
from torch import nn

from ..models import ENCODER_STAGES, VACNNEncoder
from ._base import check_positive_int, eval_mode, prepare

__all__ = ["grad_cam", "default_gradcam_layer"]


def _layer_by_name(module, layer):
    modules = dict(module.named_modules())
    if isinstance(layer, str):
        if layer not in modules or layer == "":
            names = [n for n in modules if n][:25]
            raise ValueError(
                f"layer {layer!r} is not a submodule of {type(module).__name__}; pick a name "
                f"of dict(estimator.module_.named_modules()), e.g. {names}"
                f"{' ...' if len(modules) > 26 else ''}."
            )
        return layer, modules[layer]
    if isinstance(layer, nn.Module):
        for name, sub in modules.items():
            if sub is layer:
                return name, sub
        raise ValueError(
            f"layer is a {type(layer).__name__} that is not part of the fitted network "
            f"(estimator.module_); pass one of its submodules or its name."
        )
    raise TypeError(
        f"layer must be None, a submodule name (str) or a submodule, got {type(layer).__name__}."
    )


def _last_executed_conv(prepared):
    """Name of the last ``nn.Conv2d`` with more than one output channel run by a forward pass."""
    order = []
    handles = []
    for name, sub in prepared.module.named_modules():
        if isinstance(sub, nn.Conv2d) and sub.out_channels > 1:
            handles.append(sub.register_forward_hook(
                lambda mod, inp, out, name=name: order.append(name)))
    try:
        with eval_mode(prepared.module), torch.no_grad():
            prepared.logits(prepared.tensor(prepared.images[:1]), np.arange(1))
    finally:
        for handle in handles:
            handle.remove()
    if not order:
        raise ValueError(
            f"{type(prepared.module).__name__} runs no 2-D convolution with more than one "
            f"output channel, so Grad-CAM has no default layer; pass layer= with the name of "
            f"a submodule whose output is a (batch, channels, height, width) feature map."
        )
    return order[-1]


def _default_layer_name(prepared):
    module = prepared.module
    declared = getattr(module, "gradcam_layer", None)
    if declared is not None:
        return declared
    for name, sub in module.named_modules():
        if isinstance(sub, VACNNEncoder):
            return f"{name}.{ENCODER_STAGES[-1]}" if name else ENCODER_STAGES[-1]
    return _last_executed_conv(prepared)


def default_gradcam_layer(estimator, X):
    """Name of the layer :func:`grad_cam` explains when ``layer=None``.

    The rule, first match wins:

    1. the network's ``gradcam_layer`` attribute, when its class declares one (a network
       can name its own last feature map this way);
    2. the output of the last stage (``va3``) of a
       :class:`~sklearn_ser.models.VACNNEncoder` inside the network (VACNN, VACNNBOVW);
    3. the last :class:`torch.nn.Conv2d` with more than one output channel that a forward
       pass on ``X[:1]`` runs (one-channel convolutions are spatial-attention maps, not
       features).

    Parameters
    ----------
    estimator : fitted network estimator or Pipeline ending in one
    X : array-like, dict or audio files
        Input of ``estimator``, needed by rule 3 to run the network once.

    Returns
    -------
    name : str
        A key of ``dict(net.module_.named_modules())``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> from sklearn_ser.explain import default_gradcam_layer
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 32, 32)).astype("float32")
    >>> clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=1, train_split=None,
    ...                       random_state=0).fit(X, ["anger", "sadness"] * 4)
    >>> default_gradcam_layer(clf, X)
    'encoder.va3'
    """
    return _default_layer_name(prepare(estimator, X, "default_gradcam_layer"))


def grad_cam(estimator, X, target=None, *, layer=None, normalize=True, batch_size=32):
    """Grad-CAM heat maps of a fitted CNN estimator, one per image, at the image's size.

    Parameters
    ----------
    estimator : fitted network estimator or Pipeline ending in one
        A network of :mod:`sklearn_ser.estimators` (``VACNNClassifier``,
        ``VACNNBOVWClassifier``, any skorch classifier whose module takes the image as its
        first input), or a fitted Pipeline ending in one; the Pipeline's earlier steps are
        applied to ``X`` first (e.g. audio files through ``LogMelImage``).
    X : array-like of shape (n, C, H, W), dict, or the Pipeline's input
        Images, or a dict such as ``{"image": ..., "bovw": ...}`` whose ``"image"`` entry is
        explained (the other entries are fed unchanged).
    target : None, label, int or sequence, default=None
        Class to explain: ``None`` is each image's predicted class; a label of
        ``estimator.classes_`` (``"anger"``) or a class index, for all images or one per image
        (a value found in ``classes_`` is read as a label, otherwise as an index).
    layer : None, str or torch.nn.Module, default=None
        Feature map to explain: a name of ``dict(net.module_.named_modules())`` such as
        ``"encoder.va2"``, or the submodule itself. Its output must be a
        ``(batch, channels, h, w)`` tensor. ``None`` applies the rule of
        :func:`default_gradcam_layer` (for VACNN: the output of ``encoder.va3``).
    normalize : bool, default=True
        Divide each map by its maximum, so maps lie in ``[0, 1]`` (an all-zero map stays
        zero). ``False`` keeps the raw ``ReLU(sum_k alpha_k A_k)`` values.
    batch_size : int, default=32
        Images per forward/backward pass.

    Returns
    -------
    heatmaps : ndarray of shape (n, H, W), float32
        Non-negative maps aligned with the images: row 0 is the top (highest-frequency) row
        of a log-mel image, columns are time.

    See Also
    --------
    occlusion_sensitivity, lime_explanation : Model-agnostic maps of the same images.
    gradcam_to_audio : Keep the part of the waveform a map activates.

    Notes
    -----
    The network runs in eval mode (dropout off) with gradients enabled; every submodule's
    train/eval mode is restored afterwards and no parameter's ``.grad`` is touched. The input
    is made to require gradients, so layers with frozen weights (the fine-tuned VACNNBOVW's
    stem and VA block 1) can be explained too.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VACNNClassifier
    >>> from sklearn_ser.explain import grad_cam
    >>> X = np.random.default_rng(0).uniform(0, 255, (8, 1, 32, 32)).astype("float32")
    >>> clf = VACNNClassifier(module__widths=(8, 8, 8), max_epochs=1, train_split=None,
    ...                       random_state=0).fit(X, ["anger", "sadness"] * 4)
    >>> maps = grad_cam(clf, X[:2], target="anger", layer="encoder.va2")
    >>> maps.shape, bool(maps.min() >= 0), bool(maps.max() <= 1)
    ((2, 32, 32), True, True)
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    if not isinstance(normalize, (bool, np.bool_)):
        raise ValueError(f"normalize must be True or False, got {normalize!r}.")
    prepared = prepare(estimator, X, "grad_cam")
    targets = prepared.target_indices(target)
    name = _default_layer_name(prepared) if layer is None else layer
    name, module_layer = _layer_by_name(prepared.module, name)
    return _grad_cam(prepared, targets, name, module_layer, bool(normalize), batch_size)


def _grad_cam(prepared, targets, name, layer, normalize, batch_size):
    captured = []

    def keep_output(module, inputs, output):
        captured.append(output[0] if isinstance(output, (tuple, list)) else output)

    height, width = prepared.image_shape
    maps = []
    handle = layer.register_forward_hook(keep_output)
    try:
        with eval_mode(prepared.module), torch.enable_grad():
            for start in range(0, prepared.n_samples, batch_size):
                index = np.arange(start, min(start + batch_size, prepared.n_samples))
                images = prepared.tensor(prepared.images[index]).requires_grad_(True)
                captured.clear()
                logits = prepared.logits(images, index)
                activation = _check_activation(captured, name, logits.shape[0])
                if targets is None:
                    chosen = prepared.proba(logits.detach()).argmax(dim=1)
                else:
                    chosen = torch.as_tensor(targets[index], device=logits.device)
                score = logits.gather(1, chosen[:, None].long()).sum()
                (grad,) = torch.autograd.grad(score, activation, allow_unused=True)
                if grad is None:  # the score does not depend on this layer
                    grad = torch.zeros_like(activation)
                weights = grad.mean(dim=(2, 3), keepdim=True)
                cam = torch.relu((weights * activation).sum(dim=1, keepdim=True))
                cam = nn.functional.interpolate(
                    cam.detach().float(), size=(height, width), mode="bilinear",
                    align_corners=False,
                )
                maps.append(cam[:, 0].clamp_min(0).cpu().numpy())
    finally:
        handle.remove()
    maps = np.concatenate(maps).astype(np.float32, copy=False)
    if normalize:
        peak = maps.reshape(len(maps), -1).max(axis=1)
        np.divide(maps, peak[:, None, None], out=maps, where=peak[:, None, None] > 0)
    return maps


def _check_activation(captured, name, batch):
    if not captured:
        raise ValueError(
            f"layer {name!r} did not run during the forward pass, so it has no feature map. "
            f"Pick a layer the network runs on the image; when its forward() calls the "
            f"children of a submodule directly (e.g. through a feature_maps() method), pick "
            f"one of those children."
        )
    if len(captured) > 1:
        raise ValueError(
            f"layer {name!r} ran {len(captured)} times in one forward pass (a shared "
            f"module), so its feature map is ambiguous; pick a layer that runs once."
        )
    activation = captured[0]
    if not isinstance(activation, torch.Tensor) or activation.dim() != 4 \
            or activation.shape[0] != batch:
        shape = tuple(activation.shape) if isinstance(activation, torch.Tensor) else None
        raise ValueError(
            f"layer {name!r} outputs {shape if shape else type(activation).__name__}, not a "
            f"(batch, channels, height, width) feature map; pick a convolutional layer or "
            f"stage (e.g. 'encoder.va3' for VACNN)."
        )
    if not activation.requires_grad:
        raise ValueError(
            f"The output of layer {name!r} does not depend on the input image (no gradient "
            f"flows to it); pick a layer on the image's path through the network."
        )
    return activation
