"""Moving batches to a network's device: the one helper every estimator and explainer uses.

A batch reaches a network in many shapes: an image tensor, a dict of tensors
(``{"image": ..., "bovw": ...}``), a padded batch with its lengths
(``{"X": ..., "lengths": ...}``), tuples and lists of those, a
:class:`~torch.nn.utils.rnn.PackedSequence`, or NumPy arrays that have not been
converted yet. :func:`to_device` walks any nesting of these and puts every
tensor on one device, so that no caller has to know the layout of another's
input. :func:`module_device` tells where a network's weights are, which is
where its inputs must go.
"""

from collections.abc import Mapping

import numpy as np
import torch
from torch.nn.utils.rnn import PackedSequence

__all__ = ["module_device", "to_device"]


def module_device(module, default="cpu"):
    """The device of a network's first parameter (or buffer).

    Parameters
    ----------
    module : torch.nn.Module
    default : str or torch.device, default="cpu"
        Returned for a module with neither parameters nor buffers.

    Returns
    -------
    device : torch.device

    Examples
    --------
    >>> module_device(torch.nn.Linear(2, 3))
    device(type='cpu')
    >>> module_device(torch.nn.ReLU(), default="meta")
    device(type='meta')
    """
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device(default)


def to_device(batch, device, *, non_blocking=False):
    """Put every tensor of ``batch`` on ``device``, whatever the nesting.

    Parameters
    ----------
    batch : tensor, ndarray, dict, tuple, list, PackedSequence or any nesting of them
        NumPy arrays of numbers become tensors (``torch.as_tensor``: no copy
        on the CPU). Dicts keep their keys and type, tuples and lists their
        type (named tuples included). Anything else (numbers, strings,
        ``None``) is returned as it is.
    device : str or torch.device
        Target device, e.g. ``"cpu"``, ``"cuda"``, ``"cuda:1"``, or the
        device of a network (:func:`module_device`).
    non_blocking : bool, default=False
        Asynchronous host-to-device copies; they only overlap with
        computation when the source tensors are in pinned memory (a
        ``DataLoader`` with ``pin_memory=True``).

    Returns
    -------
    batch
        The same structure with its tensors on ``device``. Tensors already
        there are returned unchanged (no copy).

    Examples
    --------
    >>> import numpy as np
    >>> batch = {"X": np.zeros((2, 3, 5), dtype="float32"), "lengths": torch.tensor([5, 2])}
    >>> moved = to_device(batch, "cpu")
    >>> sorted(moved), moved["X"].device, moved["lengths"].tolist()
    (['X', 'lengths'], device(type='cpu'), [5, 2])
    >>> to_device(([torch.ones(1)], None, "text"), "cpu")
    ([tensor([1.])], None, 'text')
    """
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, PackedSequence):
        # Its sorted/unsorted indices must follow the data (pack_padded_sequence keeps the
        # lengths themselves on the CPU, where they belong).
        return batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, np.ndarray) and batch.dtype != object:
        return torch.as_tensor(batch).to(device, non_blocking=non_blocking)
    if isinstance(batch, Mapping):
        moved = {key: to_device(value, device, non_blocking=non_blocking)
                 for key, value in batch.items()}
        if type(batch) is dict:
            return moved
        try:
            return type(batch)(moved)
        except TypeError:  # a mapping type that cannot be built from a dict
            return moved
    if isinstance(batch, tuple):
        items = [to_device(value, device, non_blocking=non_blocking) for value in batch]
        if hasattr(batch, "_fields"):  # named tuple
            return type(batch)(*items)
        return type(batch)(items)
    if isinstance(batch, list):
        return [to_device(value, device, non_blocking=non_blocking) for value in batch]
    return batch
