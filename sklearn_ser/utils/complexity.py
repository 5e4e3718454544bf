"""Model complexity: floating-point operations of one forward pass and parameter counts."""

from numbers import Integral

import torch
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["flops_and_params"]


def flops_and_params(module, input_shape):
    """Count the FLOPs of one forward pass of ``module`` and its parameters.

    The module runs once, in ``eval`` mode and without gradients, on zeros of ``input_shape``
    (on the device and in the dtype of its parameters), under
    :class:`torch.utils.flop_counter.FlopCounterMode`; its training mode is restored afterwards.

    Parameters
    ----------
    module : torch.nn.Module
        The network, e.g. a :class:`~sklearn_ser.models.vit.TeacherViT`.
    input_shape : tuple of int
        Shape of the input **including the batch dimension**: ``(1, 1, 128, 128)`` gives the
        cost of one 128x128 log-mel image.

    Returns
    -------
    counts : dict
        ``"flops"``: FLOPs of the forward pass, as FlopCounterMode counts them (a multiply-add
        is 2 FLOPs; only matrix products and convolutions are counted, not normalisations,
        activations or softmax); ``"params"``: number of parameters;
        ``"trainable_params"``: those with ``requires_grad``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.utils.complexity import flops_and_params
    >>> flops_and_params(torch.nn.Linear(10, 5), (3, 10))  # 2 * 3 * 10 * 5 FLOPs, 55 params
    {'flops': 300, 'params': 55, 'trainable_params': 55}
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}.")
    shape = tuple(input_shape)
    if not shape or not all(isinstance(d, Integral) and d > 0 for d in shape):
        raise ValueError(
            f"input_shape must be a tuple of positive ints including the batch dimension, e.g. "
            f"(1, 1, 128, 128); got {input_shape!r}."
        )
    reference = next(module.parameters(), None)
    device = reference.device if reference is not None else torch.device("cpu")
    dtype = reference.dtype if reference is not None else torch.float32
    was_training = module.training
    module.eval()
    try:
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            module(torch.zeros(shape, device=device, dtype=dtype))
    finally:
        module.train(was_training)
    return {
        "flops": int(counter.get_total_flops()),
        "params": int(sum(p.numel() for p in module.parameters())),
        "trainable_params": int(sum(p.numel() for p in module.parameters() if p.requires_grad)),
    }
